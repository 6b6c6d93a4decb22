import { useMemo, useState } from "react";
import { Link as RouterLink, useNavigate, useParams } from "react-router-dom";
import { Box, Button, Card, CardContent, Grid, Skeleton, Stack, Typography } from "@mui/material";
import ArrowBackIcon from "@mui/icons-material/ArrowBack";
import { useKey, useKeyNames } from "../api/keys";
import { useRequests } from "../api/requests";
import { useKeyUsage, type Granularity } from "../api/usage";
import { ErrorAlert } from "../common/ErrorAlert";
import { fmtInt, fmtTime, fmtUSD } from "../common/format";
import { PageHeader } from "../common/PageHeader";
import { PeriodPicker, periodFor, type Preset } from "../common/PeriodPicker";
import { RequestTable } from "../common/RequestTable";
import { StatCard } from "../common/StatCard";
import { UsageCharts } from "../common/UsageCharts";
import { useI18n } from "../i18n/I18n";
import { KeyRowActions } from "./KeyRowActions";
import { QuotaBar } from "./QuotaBar";
import { StatusChip } from "./StatusChip";
import { useKeyActions } from "./useKeyActions";

function todayUTC() {
  const now = new Date();
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { granularity: "hour" as const, from: from.toISOString(), to: new Date(Math.ceil(now.getTime() / 60_000) * 60_000).toISOString() };
}

function Detail({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary">{label}</Typography>
      <Typography variant="body2" sx={{ wordBreak: "break-word" }}>{value}</Typography>
    </Box>
  );
}

export function KeyPage() {
  const { id = "" } = useParams();
  const { t, lang } = useI18n();
  const nav = useNavigate();
  const key = useKey(id);
  const [sel, setSel] = useState<{ preset: Preset; granularity: Granularity; custom: { from: string; to: string } }>(() => {
    const p = periodFor("24h");
    return { preset: "24h", granularity: "hour", custom: { from: p.from, to: p.to } };
  });
  const period = useMemo(() => periodFor(sel.preset, sel.granularity, sel.custom), [sel]);
  const usage = useKeyUsage(id, period);
  const today = useKeyUsage(id, useMemo(todayUTC, []));
  const recent = useRequests({ api_key_id: id, limit: 20 }, 10_000);
  const { names } = useKeyNames();
  const a = useKeyActions(() => nav("/keys"));
  const k = key.data;
  const used = today.data?.totals;
  return (
    <Box>
      <Button component={RouterLink} to="/keys" startIcon={<ArrowBackIcon />} sx={{ mb: 1 }}>{t("Back to keys")}</Button>
      <PageHeader title={k?.name ?? "…"} subtitle={k && <Box component="span" sx={{ fontFamily: "monospace" }}>{k.key}</Box>}
        actions={k && (
          <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
            <StatusChip status={k.status} />
            <KeyRowActions k={k} onEdit={() => a.edit(k)} onStatus={(s) => a.setStatus(k, s)} onRotate={() => a.rotate(k)} onDelete={() => a.remove(k)} />
          </Stack>
        )} />
      <ErrorAlert error={key.error ?? usage.error ?? a.statusError} />
      <Grid container spacing={2} sx={{ mb: 2 }}>
        <Grid size={{ xs: 12, md: 5 }}>
          <Card component="section" aria-label={t("Quota (today, UTC)")} sx={{ height: "100%" }}>
            <CardContent>
              <Typography variant="h6" component="h2" sx={{ mb: 1.5 }}>{t("Quota (today, UTC)")}</Typography>
              {k && used ? (
                <Stack spacing={1.5}>
                  <QuotaBar label={t("Requests per day")} used={used.requests} limit={k.usage_limit.requests_per_day} format={(n) => fmtInt(n, lang)} />
                  <QuotaBar label={t("Tokens per day")} used={used.total_tokens} limit={k.usage_limit.tokens_per_day} format={(n) => fmtInt(n, lang)} />
                  <QuotaBar label={t("Cost per day (USD)")} used={used.cost_usd} limit={k.cost_usd_per_day} format={fmtUSD} />
                </Stack>
              ) : <Skeleton height={120} />}
            </CardContent>
          </Card>
        </Grid>
        <Grid size={{ xs: 6, md: 2 }}><StatCard label={t("Conversations")} value={fmtInt(usage.data?.conversations, lang)} /></Grid>
        <Grid size={{ xs: 6, md: 5 }}>
          <Card component="section" aria-label={t("Key details")} sx={{ height: "100%" }}>
            <CardContent>
              {k && (
                <Grid container spacing={1.5}>
                  <Grid size={6}><Detail label={t("Created")} value={fmtTime(k.created_at, lang)} /></Grid>
                  <Grid size={6}><Detail label={t("Expires")} value={k.expires_at ? fmtTime(k.expires_at, lang) : t("Never")} /></Grid>
                  <Grid size={6}><Detail label={t("Last used")} value={k.last_used_at ? fmtTime(k.last_used_at, lang) : t("Never")} /></Grid>
                  <Grid size={6}><Detail label={t("Requests per minute")} value={k.usage_limit.requests_per_minute || t("unlimited")} /></Grid>
                  <Grid size={6}><Detail label={t("Models (comma-separated)")} value={k.permissions.models.join(", ") || t("All")} /></Grid>
                  <Grid size={6}><Detail label={t("Project")} value={k.metadata.project || "–"} /></Grid>
                  {k.previous_key_valid_until && <Grid size={12}><Detail label={t("Previous secret valid until")} value={fmtTime(k.previous_key_valid_until, lang)} /></Grid>}
                </Grid>
              )}
            </CardContent>
          </Card>
        </Grid>
      </Grid>
      <Stack direction="row" sx={{ mb: 2, justifyContent: "flex-end" }}><PeriodPicker {...sel} onChange={setSel} /></Stack>
      {usage.data ? <UsageCharts series={usage.data.series} height={200} /> : <Skeleton variant="rounded" height={400} />}
      <Card component="section" aria-label={t("Recent requests")} sx={{ mt: 2 }}>
        <CardContent sx={{ pb: 0 }}><Typography variant="h6" component="h2">{t("Recent requests")}</Typography></CardContent>
        <RequestTable label={t("Recent requests")} rows={recent.data?.items ?? []} names={names} empty={t("No data in this period.")} showKey={false} />
      </Card>
      {a.dialogs}
    </Box>
  );
}
