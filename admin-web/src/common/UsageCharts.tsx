import { Card, CardContent, Grid, Typography } from "@mui/material";
import { BarChart } from "@mui/x-charts/BarChart";
import { LineChart } from "@mui/x-charts/LineChart";
import type { UsageSeries } from "../api/usage";
import { useI18n } from "../i18n/I18n";
import { fmtCompact, fmtUSD } from "./format";

function tickFormat(g: UsageSeries["granularity"], lang: string) {
  return (d: Date) =>
    g === "day"
      ? d.toLocaleDateString(lang, { month: "short", day: "numeric" })
      : d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

function ChartCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Card component="section" aria-label={title} sx={{ height: "100%" }}>
      <CardContent sx={{ pb: 0 }}>
        <Typography variant="h6" component="h2">{title}</Typography>
      </CardContent>
      {children}
    </Card>
  );
}

/** UsageCharts draws requests/errors, tokens, cost and latency for one series. */
export function UsageCharts({ series, height = 240 }: { series: UsageSeries; height?: number }) {
  const { t, lang } = useI18n();
  const x = series.buckets.map((b) => new Date(b.start));
  const xAxis = [{ data: x, scaleType: "time" as const, valueFormatter: tickFormat(series.granularity, lang) }];
  const bandAxis = [{ data: x, scaleType: "band" as const, valueFormatter: tickFormat(series.granularity, lang) }];
  const y = [{ valueFormatter: (v: number | null) => fmtCompact(v ?? 0, lang) }];
  const col = series.buckets;
  const margin = { left: 8, right: 16 };
  return (
    <Grid container spacing={2}>
      <Grid size={{ xs: 12, lg: 6 }}>
        <ChartCard title={t("Requests and errors")}>
          <LineChart height={height} xAxis={xAxis} yAxis={y} margin={margin}
            series={[
              { data: col.map((b) => b.requests), label: t("Requests"), area: true, showMark: false, color: "#6366f1" },
              { data: col.map((b) => b.errors), label: t("Errors"), showMark: false, color: "#ef4444" },
            ]} />
        </ChartCard>
      </Grid>
      <Grid size={{ xs: 12, lg: 6 }}>
        <ChartCard title={t("Tokens")}>
          <BarChart height={height} xAxis={bandAxis} yAxis={y} margin={margin}
            series={[
              { data: col.map((b) => b.request_tokens), label: t("Input tokens"), stack: "tok", color: "#818cf8" },
              { data: col.map((b) => b.response_tokens), label: t("Output tokens"), stack: "tok", color: "#14b8a6" },
            ]} />
        </ChartCard>
      </Grid>
      <Grid size={{ xs: 12, lg: 6 }}>
        <ChartCard title={t("Cost (USD)")}>
          <BarChart height={height} xAxis={bandAxis} margin={margin} yAxis={[{ valueFormatter: (v: number | null) => fmtUSD(v ?? 0), width: 64 }]}
            series={[{ data: col.map((b) => b.cost_usd), label: t("Cost"), color: "#f59e0b", valueFormatter: (v) => `$${(v ?? 0).toFixed(4)}` }]} />
        </ChartCard>
      </Grid>
      <Grid size={{ xs: 12, lg: 6 }}>
        <ChartCard title={t("Latency (ms)")}>
          <LineChart height={height} xAxis={xAxis} yAxis={y} margin={margin}
            series={[
              { data: col.map((b) => b.p50_ms), label: "p50", showMark: false, color: "#22c55e" },
              { data: col.map((b) => b.p95_ms), label: "p95", showMark: false, color: "#a855f7" },
            ]} />
        </ChartCard>
      </Grid>
    </Grid>
  );
}
