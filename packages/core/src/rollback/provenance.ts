/**
 * What a seal does not prove, checked where the API can: a seal is a self-hash (integrity: the text
 * was not changed after sealing), not a signature (authorship: anyone who can push a tag or edit a
 * file can re-seal it). So, with a token, the rollback also asks:
 * - was the checkpoint manifest attested (`attest: true`), and by a workflow of this repository?
 *   The attestation's certificate and statement are read and compared; the Sigstore signature chain
 *   and transparency log are NOT verified here (use `gh attestation verify` for that);
 * - do the repository's rulesets protect `checkpoint/*` tags from being moved or deleted?
 * - who approved the apply job (the run's environment approvals)?
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { GitHubClient } from '../github/github.js';

export interface AttestationCheck {
  /** `repository`: attested by a workflow of this repository; `other`: attested, but not by one; `none`: no attestation; `unknown`: could not ask. */
  status: 'repository' | 'other' | 'none' | 'unknown';
  digest: string;
  /** The workflow that signed it (from the certificate), when read. */
  workflow: string | null;
  detail: string;
}

export interface TagProtection {
  status: 'protected' | 'unprotected' | 'unknown';
  rulesets: string[];
  detail: string;
}

export interface Approval {
  user: string;
  state: string;
  environments: string[];
  comment: string;
}

interface ApiContext {
  github: GitHubClient | undefined;
  owner?: string;
  repo?: string;
}

/** The manifest file's digest as the checkpoint action attests it (the pretty-printed JSON and a newline). */
export function manifestDigest(manifest: unknown): string {
  return `sha256:${createHash('sha256').update(`${JSON.stringify(manifest, null, 2)}\n`).digest('hex')}`;
}

function statusOf(error: unknown): number | undefined {
  return (error as { status?: number }).status;
}

function certificateOf(bundle: Record<string, unknown>): string | undefined {
  const material = (bundle.verificationMaterial ?? {}) as Record<string, unknown>;
  const single = (material.certificate as { rawBytes?: string } | undefined)?.rawBytes;
  const chain = (material.x509CertificateChain as { certificates?: Array<{ rawBytes?: string }> } | undefined)?.certificates?.[0]?.rawBytes;
  return single ?? chain;
}

/** Reads one attestation bundle: the statement's subject must be the digest, the certificate's identity a workflow URL. */
function readBundle(bundle: Record<string, unknown>, digest: string): { workflow: string | null; subjectOk: boolean } {
  let subjectOk = false;
  try {
    const envelope = (bundle.dsseEnvelope ?? {}) as { payload?: string };
    const statement = JSON.parse(Buffer.from(envelope.payload ?? '', 'base64').toString('utf8')) as { subject?: Array<{ digest?: { sha256?: string } }> };
    subjectOk = (statement.subject ?? []).some((s) => `sha256:${s.digest?.sha256 ?? ''}` === digest);
  } catch {
    subjectOk = false;
  }
  let workflow: string | null = null;
  const raw = certificateOf(bundle);
  if (raw) {
    try {
      const san = new X509Certificate(Buffer.from(raw, 'base64')).subjectAltName ?? '';
      workflow = san.match(/URI:(https:\/\/[^,\s]+)/)?.[1] ?? null;
    } catch {
      workflow = null;
    }
  }
  return { workflow, subjectOk };
}

export async function checkAttestation(context: ApiContext, digest: string): Promise<AttestationCheck> {
  const { github, owner, repo } = context;
  if (!github || !owner || !repo) return { status: 'unknown', digest, workflow: null, detail: 'no token: the attestation was not looked up' };
  let attestations: Array<{ bundle?: Record<string, unknown> }>;
  try {
    const { data } = await github.request<{ attestations?: Array<{ bundle?: Record<string, unknown> }> }>('GET', '/repos/{owner}/{repo}/attestations/{subject_digest}', {
      owner,
      repo,
      subject_digest: digest,
    });
    attestations = data.attestations ?? [];
  } catch (error) {
    if (statusOf(error) === 404) return { status: 'none', digest, workflow: null, detail: 'the manifest digest has no attestation (checkpoint `attest: true` makes one)' };
    return { status: 'unknown', digest, workflow: null, detail: `the attestations API answered: ${(error as Error).message.split('\n')[0]}` };
  }
  if (attestations.length === 0) return { status: 'none', digest, workflow: null, detail: 'the manifest digest has no attestation' };
  const prefix = `https://github.com/${owner}/${repo}/.github/workflows/`.toLowerCase();
  const read = attestations.map((a) => readBundle(a.bundle ?? {}, digest));
  const ours = read.find((r) => r.subjectOk && r.workflow?.toLowerCase().startsWith(prefix));
  if (ours) {
    return {
      status: 'repository',
      digest,
      workflow: ours.workflow,
      detail: `attested by ${ours.workflow} (certificate identity and statement subject read; the Sigstore signature chain and transparency log were not verified here: \`gh attestation verify\` does that)`,
    };
  }
  const other = read.find((r) => r.workflow)?.workflow ?? null;
  return { status: 'other', digest, workflow: other, detail: `attested, but not by a workflow of ${owner}/${repo}${other ? ` (by ${other})` : ' (no workflow identity found)'}` };
}

interface Ruleset {
  id: number;
  name: string;
  target?: string;
  enforcement?: string;
  conditions?: { ref_name?: { include?: string[]; exclude?: string[] } } | null;
  rules?: Array<{ type: string }>;
}

function coversCheckpoints(patterns: readonly string[], prefix: string): boolean {
  return patterns.some((p) => p === '~ALL' || p === `refs/tags/${prefix}*` || p === `refs/tags/${prefix}**/*` || p === `refs/tags/${prefix}**` || p === 'refs/tags/*' || p === 'refs/tags/**/*');
}

export async function checkTagProtection(context: ApiContext, prefix: string): Promise<TagProtection> {
  const { github, owner, repo } = context;
  const how = `protect them with a tag ruleset: Settings -> Rules -> Rulesets -> New tag ruleset, target \`${prefix}*\`, rules "Restrict updates" and "Restrict deletions", bypass only for the workflow's actor`;
  if (!github || !owner || !repo) return { status: 'unknown', rulesets: [], detail: `no token: not checked; ${how}` };
  try {
    const list = await github.paginate<Ruleset>('/repos/{owner}/{repo}/rulesets', { owner, repo, includes_parents: true, targets: 'tag' });
    const protecting: string[] = [];
    for (const summary of list.filter((r) => !r.target || r.target === 'tag')) {
      const { data } = await github.request<Ruleset>('GET', '/repos/{owner}/{repo}/rulesets/{ruleset_id}', { owner, repo, ruleset_id: summary.id });
      const types = new Set((data.rules ?? []).map((r) => r.type));
      if (data.enforcement === 'active' && coversCheckpoints(data.conditions?.ref_name?.include ?? [], prefix) && types.has('deletion') && (types.has('update') || types.has('non_fast_forward'))) {
        protecting.push(data.name);
      }
    }
    return protecting.length > 0
      ? { status: 'protected', rulesets: protecting, detail: `\`${prefix}*\` tags cannot be moved or deleted (ruleset ${protecting.join(', ')})` }
      : { status: 'unprotected', rulesets: [], detail: `no active ruleset stops \`${prefix}*\` tags from being moved or deleted; ${how}` };
  } catch (error) {
    return { status: 'unknown', rulesets: [], detail: `the rulesets API answered: ${(error as Error).message.split('\n')[0]}; ${how}` };
  }
}

/** Who approved this run's deployments (the Environment's required reviewers), from the API. */
export async function runApprovals(context: ApiContext, runId: string | undefined): Promise<Approval[] | null> {
  const { github, owner, repo } = context;
  if (!github || !owner || !repo || !runId || !/^\d+$/.test(runId)) return null;
  try {
    const { data } = await github.request<Array<{ state: string; comment: string; user: { login: string }; environments: Array<{ name?: string }> }>>(
      'GET',
      '/repos/{owner}/{repo}/actions/runs/{run_id}/approvals',
      { owner, repo, run_id: Number(runId) },
    );
    return data.map((a) => ({ user: a.user.login, state: a.state, environments: a.environments.map((e) => e.name ?? '').filter(Boolean), comment: a.comment }));
  } catch {
    return null;
  }
}
