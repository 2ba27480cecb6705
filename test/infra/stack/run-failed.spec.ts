/**
 * The run-failed function's Step Functions rights, as a specification: it describes the run, and for a
 * run whose Distributed Map failed it finds the failed chunk (ListMapRuns of the run, ListExecutions of
 * its Map Run, DescribeExecution of the child), on this state machine's ARNs only. Run by ../stack.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DISTRIBUTED_MAP_LABEL } from '../../../lib/constructs/pipeline.js';
import { STAGES, actionMatches, definitionOf, resourcesAllowed, statementsOf, synthesizeAll, type StageName, type Synthesized } from '../synth.js';

let synthesized: Map<StageName, Synthesized>;
beforeAll(() => {
  synthesized = synthesizeAll();
});
const get = (stage: StageName): Synthesized => synthesized.get(stage)!;

const NAME = 'PipelineStateMachine-abc';
const PREFIX = 'arn:aws:states:eu-west-2:123456789012';
/** ARNs the way Step Functions makes them for a run, its Map Run and a chunk's child execution. */
const ARNS = {
  stateMachine: `${PREFIX}:stateMachine:${NAME}`,
  run: `${PREFIX}:execution:${NAME}:day-0123456789abcdef`,
  mapRun: `${PREFIX}:mapRun:${NAME}/${DISTRIBUTED_MAP_LABEL}:2d6f0c1e-8a1b-4c39-9a51-0f6e7d1c2b3a`,
  child: `${PREFIX}:execution:${NAME}/${DISTRIBUTED_MAP_LABEL}:7c1d9e2f-33aa-4b0c-8d21-5e6f7a8b9c0d`,
  otherMachinesRun: `${PREFIX}:execution:OtherStateMachine:day-0123456789abcdef`,
  otherMachinesMapRun: `${PREFIX}:mapRun:OtherStateMachine/${DISTRIBUTED_MAP_LABEL}:2d6f0c1e`,
  otherLabelsChild: `${PREFIX}:execution:${NAME}/OtherLabel:7c1d9e2f`,
} as const;

/** The flattened resources of `action` with the stack's tokens as one deployment would resolve them. */
function resolvedResources(s: Synthesized, action: string): string[] {
  return resourcesAllowed(statementsOf(s.template, s.ids.runFailedRole), action)
    .map((r) =>
      r
        .replace('REF(AWS::Partition)', 'aws')
        .replace('REF(AWS::Region)', 'eu-west-2')
        .replace('REF(AWS::AccountId)', '123456789012')
        .replace(`GETATT(${s.ids.stateMachine}.Name)`, NAME),
    )
    .sort();
}

/** Whether the role may call `action` on `arn` (IAM's * matches any characters, ':' and '/' included). */
function allowed(s: Synthesized, action: string, arn: string): boolean {
  return resolvedResources(s, action).some((pattern) => actionMatches(pattern, arn));
}

describe.each(STAGES)('the run-failed function on %s', (stage) => {
  it('lists the Map Runs of this state machine\'s runs, the executions of their Map Runs, and describes runs and their chunks', () => {
    const s = get(stage);
    expect(resolvedResources(s, 'states:ListMapRuns')).toEqual([`${PREFIX}:execution:${NAME}:*`]);
    expect(resolvedResources(s, 'states:ListExecutions')).toEqual([`${PREFIX}:mapRun:${NAME}/${DISTRIBUTED_MAP_LABEL}:*`]);
    expect(resolvedResources(s, 'states:DescribeExecution')).toEqual([`${PREFIX}:execution:${NAME}/${DISTRIBUTED_MAP_LABEL}:*`, `${PREFIX}:execution:${NAME}:*`]);
  });

  it.each([
    ['states:DescribeExecution', 'run', true],
    ['states:DescribeExecution', 'child', true],
    ['states:ListMapRuns', 'run', true],
    ['states:ListExecutions', 'mapRun', true],
    // Not every execution of the state machine, nor another state machine's, nor another Map's children.
    ['states:ListExecutions', 'stateMachine', false],
    ['states:ListExecutions', 'otherMachinesMapRun', false],
    ['states:ListMapRuns', 'otherMachinesRun', false],
    ['states:DescribeExecution', 'otherMachinesRun', false],
    ['states:DescribeExecution', 'otherLabelsChild', false],
  ] as const)('%s on the %s: %s', (action, which, expected) => {
    expect(allowed(get(stage), action, ARNS[which])).toBe(expected);
  });

  it("names the Distributed Map's label as the state machine defines it", () => {
    const s = get(stage);
    const distributed = Object.values(definitionOf(s).States).filter((st) => (st.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode === 'DISTRIBUTED');
    expect(distributed.map((st) => st.Label)).toEqual([DISTRIBUTED_MAP_LABEL]);
  });

  it('may not start, stop, redrive or change an execution or a Map Run', () => {
    const s = get(stage);
    const actions = statementsOf(s.template, s.ids.runFailedRole)
      .flatMap((st) => [st.Action].flat())
      .filter((a) => a.startsWith('states:'));
    expect([...new Set(actions)].sort()).toEqual(['states:DescribeExecution', 'states:ListExecutions', 'states:ListMapRuns']);
  });
});
