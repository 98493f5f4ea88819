import { basename } from 'node:path';
import { UserError, markdownCode, type CheckpointResult, type EventContext } from '@rollback-gate/core';

export const MANIFEST_PREDICATE_TYPE = 'https://rollback-gate.dev/checkpoint/v1';

/** The attestation's subject: the manifest file, by its sha256. */
export function attestationSubject(result: CheckpointResult): { name: string; digest: { sha256: string } } {
  return { name: basename(result.manifestPath), digest: { sha256: result.digest.slice('sha256:'.length) } };
}

/**
 * Attests the manifest digest through @actions/attest (Sigstore signing with the job's OIDC token,
 * then the repository's attestations API). Loaded only when asked for, so a plain checkpoint starts fast.
 */
export async function attestManifest(options: { token: string; context: EventContext; result: CheckpointResult }): Promise<string> {
  if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL || !process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new UserError(
      '`attest: true` needs an OIDC token, and this job cannot request one.',
      'Add `permissions: { id-token: write, attestations: write, contents: write }` to the job (forked pull requests never get id-token: write).',
    );
  }
  if (!options.token) {
    throw new UserError('`attest: true` needs the `token` input to store the attestation.', 'Leave `token` at its default, `${{ github.token }}`, with `attestations: write`.');
  }
  const subject = attestationSubject(options.result);
  const { attest } = await import('@actions/attest');
  try {
    const attestation = await attest({
      subjects: [subject],
      predicateType: MANIFEST_PREDICATE_TYPE,
      predicate: { tag: options.result.tag, commit: options.result.sha, seal: options.result.manifest.seal },
      token: options.token,
    });
    return `Attested ${markdownCode(subject.name)} (${markdownCode(options.result.digest)})${
      attestation.attestationID ? `, attestation id ${markdownCode(attestation.attestationID)}` : ''
    }.`;
  } catch (error) {
    const message = (error as Error).message;
    const permission = /403|forbidden|not accessible|id-token|identity token|oidc/i.test(message);
    throw new UserError(
      `attesting the manifest digest ${options.result.digest} failed: ${message}`,
      permission
        ? 'Grant `permissions: { id-token: write, attestations: write }` to the job.'
        : 'Attestation needs the network (Sigstore and the GitHub API); run again, or set `attest: false`.',
    );
  }
}
