// Checks shared by the asynchronous inference constructs (queue, table, request API, workers).
import { existsSync, statSync } from "node:fs";
import { ArnKind, KMS_KEY, PropValidationError, ValidationScope, isUnresolved, requireArn } from "./validation";
import { readDirectory, stageZip } from "./zip";

export const SNS_TOPIC: ArnKind = { service: "sns", regional: true, withAccount: true, resourcePrefix: "", example: "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)" };

/**
 * A customer managed KMS key ARN. The AWS managed keys (alias/aws/sqs, alias/aws/sns, ...) are
 * refused by name first: their key policies cannot be changed, so SNS can never encrypt messages
 * for a queue that uses alias/aws/sqs, and the deliveries fail silently.
 */
export function requireCustomerKmsKey(scope: ValidationScope, prop: string, arn: string): void {
  if (isUnresolved(arn)) return;
  if (/(^|:)alias\/aws\//.test(arn)) {
    throw new PropValidationError(
      scope,
      prop,
      arn,
      "a customer managed KMS key ARN whose key policy lets sns.amazonaws.com use it (kms:GenerateDataKey*, kms:Decrypt)",
      "the AWS managed key alias/aws/sqs cannot be used by SNS (its key policy cannot be changed), so SNS could never deliver to the queue: create a customer managed key, allow sns.amazonaws.com in its key policy, and pass its ARN, or use the service-managed encryption",
    );
  }
  requireArn(scope, prop, arn, [KMS_KEY], "pass the key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or a key id");
}

/** SQS queue names: 1 to 80 letters, digits, hyphens and underscores (room left for suffixes). */
export function requireQueueName(scope: ValidationScope, prop: string, name: string, max: number): void {
  if (isUnresolved(name)) return;
  if (!new RegExp(`^[A-Za-z0-9_-]{1,${max}}$`).test(name)) {
    throw new PropValidationError(scope, prop, name, `1 to ${max} letters, digits, hyphens and underscores`, 'use a short name such as "inference"; it prefixes the queues, topics and table');
  }
}

/**
 * A deployable zip: the given .zip file as is, or a directory zipped deterministically (dotfiles
 * and __pycache__ left out) into a temporary file named by its content hash.
 */
export function stageCode(scope: ValidationScope, prop: string, path: string, fix: string): string {
  if (!existsSync(path)) {
    throw new PropValidationError(scope, prop, path, "an existing .zip file or directory", fix);
  }
  if (!statSync(path).isDirectory()) return path;
  const files = Object.fromEntries(
    Object.entries(readDirectory(path)).filter(([name]) => !name.split("/").some((part) => part.startsWith(".") || part === "__pycache__")),
  );
  if (Object.keys(files).length === 0) {
    throw new PropValidationError(scope, prop, path, "a directory with at least one file", fix);
  }
  return stageZip("warmfleet-code", files);
}
