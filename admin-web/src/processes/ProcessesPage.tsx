import { Alert, Box, Card, CardContent, Chip, Grid, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from "@mui/material";
import { useKeyNames } from "../api/keys";
import { useProcesses } from "../api/processes";
import { ErrorAlert } from "../common/ErrorAlert";
import { fmtAge, fmtBytes } from "../common/format";
import { PageHeader } from "../common/PageHeader";
import { StatCard } from "../common/StatCard";
import { useT } from "../i18n/I18n";

const stateColor = { busy: "warning", idle: "success", prewarmed: "info" } as const;

export function ProcessesPage() {
  const t = useT();
  const p = useProcesses(3_000);
  const { names } = useKeyNames();
  const d = p.data;
  const down = d?.nodes.filter((n) => n.status !== "ok") ?? [];
  return (
    <Box>
      <PageHeader title={t("Processes")} subtitle={t("Refreshes every 3 seconds.")} />
      <ErrorAlert error={p.error} />
      {down.length > 0 && (
        <Alert severity="warning" sx={{ mb: 2 }}>
          {t("Not answering (their processes are missing):")} {down.map((n) => `${n.node} (${n.error ?? n.status})`).join(", ")}
        </Alert>
      )}
      <Grid container spacing={2} sx={{ mb: 2 }}>
        <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Live processes")} value={d ? `${d.processes.length} / ${d.max_processes}` : "–"} /></Grid>
        <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Busy turns")} value={d ? `${d.busy} / ${d.max_busy || "∞"}` : "–"} /></Grid>
        <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Queue length")} value={d ? `${d.queue.reduce((n, q) => n + q.waiting, 0)} / ${d.max_queue}` : "–"} /></Grid>
        <Grid size={{ xs: 6, md: 3 }}><StatCard label={t("Nodes answering")} value={d ? `${d.nodes.length - down.length} / ${d.nodes.length}` : "–"} /></Grid>
      </Grid>
      <Card component="section" aria-label={t("Processes")} sx={{ mb: 2 }}>
        <TableContainer>
          <Table size="small" aria-label={t("Processes")}>
            <TableHead>
              <TableRow>
                <TableCell>{t("PID")}</TableCell>
                <TableCell>{t("Node")}</TableCell>
                <TableCell>{t("State")}</TableCell>
                <TableCell>{t("Key")}</TableCell>
                <TableCell>{t("Conversation")}</TableCell>
                <TableCell align="right">{t("Memory (RSS)")}</TableCell>
                <TableCell align="right">{t("Age")}</TableCell>
                <TableCell align="right">{t("Turns")}</TableCell>
                <TableCell align="right">{t("Last used")}</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {d?.processes.map((pr) => (
                <TableRow key={`${pr.node}/${pr.pid}`}>
                  <TableCell sx={{ fontFamily: "monospace" }}>{pr.pid}</TableCell>
                  <TableCell>{pr.node}</TableCell>
                  <TableCell><Chip variant="outlined" color={stateColor[pr.state]} label={pr.state} /></TableCell>
                  <TableCell>{pr.api_key_id ? names.get(pr.api_key_id) ?? pr.api_key_id : "–"}</TableCell>
                  <TableCell sx={{ fontFamily: "monospace", fontSize: 12 }}>{pr.conversation_id || "–"}</TableCell>
                  <TableCell align="right">{fmtBytes(pr.rss_bytes)}</TableCell>
                  <TableCell align="right">{fmtAge(pr.started_at)}</TableCell>
                  <TableCell align="right">{pr.turns}</TableCell>
                  <TableCell align="right">{fmtAge(pr.last_used_at)}</TableCell>
                </TableRow>
              ))}
              {d?.processes.length === 0 && (
                <TableRow><TableCell colSpan={9}><Typography variant="body2" color="text.secondary">{t("No CLI processes.")}</Typography></TableCell></TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      </Card>
      <Card component="section" aria-label={t("Queue by key")}>
        <CardContent>
          <Typography variant="h6" component="h2" sx={{ mb: 1 }}>{t("Queue by key")}</Typography>
          <Table size="small" aria-label={t("Queue by key")}>
            <TableHead><TableRow><TableCell>{t("Key")}</TableCell><TableCell align="right">{t("Waiting")}</TableCell></TableRow></TableHead>
            <TableBody>
              {d?.queue.map((q) => (
                <TableRow key={q.api_key_id}><TableCell>{names.get(q.api_key_id) ?? q.api_key_id}</TableCell><TableCell align="right">{q.waiting}</TableCell></TableRow>
              ))}
              {d?.queue.length === 0 && (
                <TableRow><TableCell colSpan={2}><Typography variant="body2" color="text.secondary">{t("Nobody is waiting.")}</Typography></TableCell></TableRow>
              )}
            </TableBody>
          </Table>
        </CardContent>
      </Card>
    </Box>
  );
}
