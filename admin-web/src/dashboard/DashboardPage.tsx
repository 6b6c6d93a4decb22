import { useMemo, useState } from "react";
import { Box, Card, CardContent, Chip, Grid, Skeleton, Stack, Tooltip, Typography } from "@mui/material";
import { useProcesses, useReadiness } from "../api/processes";
import { useRequestsLastMinute, useUsageSeries, useUsageSummary, type Granularity } from "../api/usage";
import { ErrorAlert } from "../common/ErrorAlert";
import { fmtInt, fmtUSD } from "../common/format";
import { PageHeader } from "../common/PageHeader";
import { PeriodPicker, periodFor, type Preset } from "../common/PeriodPicker";
import { StatCard } from "../common/StatCard";
import { UsageCharts } from "../common/UsageCharts";
import { useI18n } from "../i18n/I18n";
import { TopTables } from "./TopTables";

function LiveCounters() {
  const { t, lang } = useI18n();
  const lastMin = useRequestsLastMinute();
  const procs = useProcesses(5_000);
  const queued = procs.data?.queue.reduce((n, q) => n + q.waiting, 0);
  return (
    <Grid container spacing={2} sx={{ mb: 2 }}>
      <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Requests (last minute)")} value={fmtInt(lastMin.data, lang)} /></Grid>
      <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Busy turns")} value={procs.data ? `${procs.data.busy} / ${procs.data.max_busy || "∞"}` : "–"} /></Grid>
      <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Queue length")} value={procs.data ? `${queued} / ${procs.data.max_queue}` : "–"} /></Grid>
      <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Live processes")} value={procs.data ? `${procs.data.processes.length} / ${procs.data.max_processes}` : "–"} /></Grid>
    </Grid>
  );
}

function ReadinessCard() {
  const { t } = useI18n();
  const r = useReadiness();
  return (
    <Card component="section" aria-label={t("Readiness")} sx={{ mb: 2 }}>
      <CardContent sx={{ display: "flex", flexWrap: "wrap", gap: 1, alignItems: "center" }}>
        <Typography variant="h6" component="h2" sx={{ mr: 1 }}>{t("Readiness")}</Typography>
        {r.data ? (
          <>
            <Chip color={r.data.ready ? "success" : "error"} label={r.data.ready ? t("Ready") : t("Not ready")} />
            {r.data.checks.map((c) => (
              <Tooltip key={c.name} title={c.error ?? ""}>
                <Chip variant="outlined" color={c.ok ? "success" : "error"} label={`${t(c.name)}: ${c.ok ? "ok" : t("failed")}`} />
              </Tooltip>
            ))}
            {r.data.checks.filter((c) => !c.ok).map((c) => (
              <Typography key={c.name} variant="body2" color="error" sx={{ width: "100%" }}>{c.error}</Typography>
            ))}
          </>
        ) : (
          <Skeleton width={240} />
        )}
      </CardContent>
    </Card>
  );
}

export function DashboardPage() {
  const { t, lang } = useI18n();
  const [sel, setSel] = useState<{ preset: Preset; granularity: Granularity; custom: { from: string; to: string } }>(() => {
    const p = periodFor("24h");
    return { preset: "24h", granularity: "hour", custom: { from: p.from, to: p.to } };
  });
  // Recomputed when the selection changes; the queries refetch on their own interval.
  const period = useMemo(() => periodFor(sel.preset, sel.granularity, sel.custom), [sel]);
  const series = useUsageSeries(period);
  const summary = useUsageSummary(period);
  const tot = summary.data?.totals;
  return (
    <Box>
      <PageHeader title={t("Dashboard")} actions={<PeriodPicker {...sel} onChange={setSel} />} />
      <LiveCounters />
      <ReadinessCard />
      <ErrorAlert error={series.error ?? summary.error} />
      <Grid container spacing={2} sx={{ mb: 2 }}>
        <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Requests")} value={fmtInt(tot?.requests, lang)} /></Grid>
        <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Tokens")} value={fmtInt(tot?.total_tokens, lang)} /></Grid>
        <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Cost")} value={fmtUSD(tot?.cost_usd)} /></Grid>
        <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Errors")} value={fmtInt(tot?.errors, lang)} /></Grid>
      </Grid>
      {series.data ? <UsageCharts series={series.data} /> : <Skeleton variant="rounded" height={480} />}
      <Stack sx={{ mt: 2 }}>{summary.data && <TopTables summary={summary.data} />}</Stack>
    </Box>
  );
}
