import { Link as RouterLink } from "react-router-dom";
import { Card, CardContent, Grid, Link, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import type { Schema } from "../../../openapi/ts";
import { fmtInt, fmtUSD } from "../common/format";
import { useI18n } from "../i18n/I18n";

type Row = { id: string; label: React.ReactNode; requests: number; tokens: number; cost: number; errors: number };

function TopTable({ title, first, rows }: { title: string; first: string; rows: Row[] }) {
  const { t, lang } = useI18n();
  return (
    <Card component="section" aria-label={title} sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2" sx={{ mb: 1 }}>{title}</Typography>
        <Table size="small" aria-label={title}>
          <TableHead>
            <TableRow>
              <TableCell>{first}</TableCell>
              <TableCell align="right">{t("Requests")}</TableCell>
              <TableCell align="right">{t("Tokens")}</TableCell>
              <TableCell align="right">{t("Cost")}</TableCell>
              <TableCell align="right">{t("Errors")}</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.slice(0, 8).map((r) => (
              <TableRow key={r.id}>
                <TableCell>{r.label}</TableCell>
                <TableCell align="right">{fmtInt(r.requests, lang)}</TableCell>
                <TableCell align="right">{fmtInt(r.tokens, lang)}</TableCell>
                <TableCell align="right">{fmtUSD(r.cost)}</TableCell>
                <TableCell align="right">{fmtInt(r.errors, lang)}</TableCell>
              </TableRow>
            ))}
            {rows.length === 0 && (
              <TableRow><TableCell colSpan={5}><Typography variant="body2" color="text.secondary">{t("No data in this period.")}</Typography></TableCell></TableRow>
            )}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}

export function TopTables({ summary }: { summary: Schema<"UsageSummary"> }) {
  const { t } = useI18n();
  const keys = summary.by_key.map((k) => ({
    id: k.api_key_id || "-", requests: k.requests, tokens: k.total_tokens, cost: k.cost_usd, errors: k.errors,
    label: k.api_key_id ? <Link component={RouterLink} to={`/keys/${k.api_key_id}`}>{k.name || k.api_key_id}</Link> : "(unidentified)",
  }));
  const models = summary.by_model.map((m) => ({ id: m.model || "-", label: m.model || "–", requests: m.requests, tokens: m.total_tokens, cost: m.cost_usd, errors: m.errors }));
  return (
    <Grid container spacing={2}>
      <Grid size={{ xs: 12, lg: 6 }}><TopTable title={t("Top keys")} first={t("Key")} rows={keys} /></Grid>
      <Grid size={{ xs: 12, lg: 6 }}><TopTable title={t("Top models")} first={t("Model")} rows={models} /></Grid>
    </Grid>
  );
}
