/**
 * The production audit log (SPEC §10): each entry becomes one structured log
 * line (`message: "audit"`, the entry under `audit`; CloudWatch Logs Insights:
 * `filter message = "audit"`) and one EventBridge event on the stack's bus,
 * `Source: "chat"`, `DetailType: "chat.audit"`, `Detail: AuditEntry`. With CDK
 * context `auditRetentionDays` the stack archives those events and copies
 * them into a dedicated log group with that retention (`lib/audit.ts`).
 *
 * The log line is written first and always: a bus outage loses no record of
 * who did what. Failures are logged, never thrown.
 */
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../domain/audit';
import type { AuditEntry, AuditLog } from '../domain/ports';
import { createBusPublisher } from './bus';
import { logger } from './logger';

export function createAuditLog(options: { eventBusName?: string; endpoint?: string; region?: string }): AuditLog {
  const bus = createBusPublisher(options);
  return {
    async record(entry: AuditEntry) {
      logger.info('audit', { audit: entry });
      await bus.put([{ source: AUDIT_SOURCE, detailType: AUDIT_DETAIL_TYPE, detail: entry }]);
    },
  };
}
