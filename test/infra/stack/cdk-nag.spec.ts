/**
 * cdk-nag's AWS Solutions checks on every stage: no finding may be left unacknowledged, and every
 * acknowledgement sits on a specific resource (never the stack or the app) with a specific reason.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { STAGES, synthesizeAll, type StageName, type Synthesized } from '../synth.js';

let synthesized: Map<StageName, Synthesized>;
beforeAll(() => {
  synthesized = synthesizeAll();
});
const get = (stage: StageName): Synthesized => synthesized.get(stage)!;

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

function acknowledgements(s: Synthesized): Acknowledgement[] {
  return s.stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe.each(STAGES)('cdk-nag AwsSolutions checks on %s', (stage) => {
  it('report no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(get(stage).stack);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}: ${v.description}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('are acknowledged only on specific resources, each with a specific reason', () => {
    const s = get(stage);
    const acks = acknowledgements(s);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      // A resource of the stack, not the stack itself (which would silence the rule everywhere).
      expect(ack.path.split('/').length, `${ack.id} at ${ack.path}`).toBeGreaterThan(1);
      // One finding per id: a bare IAM5 would not be specific (and cdk-nag v3 would not match it).
      if (ack.id.startsWith('AwsSolutions-IAM')) expect(ack.id).toMatch(/^AwsSolutions-IAM[45]\[(Resource|Action|Policy)::.+\]$/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(80);
    }
    // The same finding acknowledged twice on one resource would keep only the last reason.
    const keys = acks.map((a) => `${a.path} ${a.id}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('leave nothing acknowledged that the checks would not raise', () => {
    // Without the acknowledgements, the checks find exactly the acknowledged findings (no stale ones).
    const s = get(stage);
    const acks = new Set(acknowledgements(s).map((a) => a.id));
    const Unacknowledging = class extends AwsSolutionsChecks {};
    const pack = new Unacknowledging();
    (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const raised = new Set(pack.validateScope(s.stack).violations.map((v) => v.ruleName));
    expect([...acks].filter((id) => !raised.has(id))).toEqual([]);
  });
});
