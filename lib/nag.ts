import { Stack, Token, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag findings that are acknowledged rather than fixed. Each acknowledgement sits next to the
 * resource it is about, names the finding exactly (one finding id per wildcard, e.g.
 * `AwsSolutions-IAM5[Resource::<DataBucket.Arn>/runs/*]`) and says why; the infra tests run the
 * AwsSolutions checks on every stage and fail on any finding that is not acknowledged.
 */
export function acknowledge(scope: IConstruct, ...findings: Array<{ id: string; reason: string }>): void {
  Validations.of(scope).acknowledge(...findings);
}

/**
 * How cdk-nag spells a construct's ARN attribute inside a finding id: `<LogicalId.Arn>`.
 * The construct is an L2 (its default child is the CloudFormation resource) or the resource itself.
 */
export function arnToken(construct: IConstruct, attribute = 'Arn'): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return `<${Stack.of(construct).getLogicalId(element)}.${attribute}>`;
}

/**
 * How cdk-nag spells the stack's region and account inside an ARN: the pseudo parameter while they
 * are unknown (an environment-agnostic synth), the value once the CLI knows them.
 */
export function regionAndAccount(scope: IConstruct): { region: string; account: string } {
  const stack = Stack.of(scope);
  return {
    region: Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region,
    account: Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account,
  };
}

/**
 * How cdk-nag spells the resource name that CDK cuts out of a construct's ARN (`Arn.split` of its Ref,
 * e.g. a state machine's name inside its executions' ARNs): the unresolved Fn::Select as JSON.
 * `index` is the name's position in the colon-separated ARN (6 for `arn:p:states:r:a:stateMachine:NAME`).
 */
export function splitArnNameToken(construct: IConstruct, index = 6): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return JSON.stringify({ 'Fn::Select': [index, { 'Fn::Split': [':', { Ref: Stack.of(construct).getLogicalId(element) }] }] });
}
