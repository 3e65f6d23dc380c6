/**
 * SPEC §9: reports left open longer than `REPORT_SLA_HOURS` raise a
 * CloudWatch alarm. A scheduled function (`functions/scheduled/report-sla.ts`)
 * publishes the age of the oldest open report every 5 minutes; the stack's
 * `ReportSla` alarm compares it with the SLA. The oldest open report is the
 * first of the queue (open first, oldest first): one Query (`Limit: 1`)
 * and one GetItem, whatever the number of reports.
 */
import type { DomainContext } from './context';

/** Seconds since the oldest open report was created; 0 when none is open. */
export async function oldestOpenReportAgeSeconds(ctx: DomainContext): Promise<number> {
  const { reports } = await ctx.repo.reports.page({ status: 'open', limit: 1 });
  const oldest = reports[0];
  return oldest ? Math.max(0, Math.floor((ctx.now().getTime() - Date.parse(oldest.createdAt)) / 1000)) : 0;
}
