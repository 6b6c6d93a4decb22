import { Fragment, useState } from "react";
import {
  Box, Card, Collapse, IconButton, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TablePagination, TableRow, TextField, Typography,
} from "@mui/material";
import ExpandMoreIcon from "@mui/icons-material/ExpandMore";
import ExpandLessIcon from "@mui/icons-material/ExpandLess";
import { useAuditLog, type AuditEntry } from "../api/audit";
import { ErrorAlert } from "../common/ErrorAlert";
import { fmtTime, fromLocalInput, toLocalInput } from "../common/format";
import { PageHeader } from "../common/PageHeader";
import { useI18n } from "../i18n/I18n";
import { diff } from "./diff";

const show = (v: unknown) => (v === undefined ? "–" : JSON.stringify(v));

function Diff({ e }: { e: AuditEntry }) {
  const { t } = useI18n();
  const changes = diff(e.before, e.after);
  if (changes.length === 0) return <Typography variant="body2" color="text.secondary" sx={{ p: 1 }}>{t("No changes recorded.")}</Typography>;
  return (
    <Table size="small" aria-label={t("Changes")}>
      <TableHead>
        <TableRow><TableCell>{t("Changes")}</TableCell><TableCell>{t("Before")}</TableCell><TableCell>{t("After")}</TableCell></TableRow>
      </TableHead>
      <TableBody>
        {changes.map((c) => (
          <TableRow key={c.path}>
            <TableCell sx={{ fontFamily: "monospace" }}>{c.path}</TableCell>
            <TableCell sx={{ fontFamily: "monospace", color: "error.main", wordBreak: "break-all" }}>{show(c.before)}</TableCell>
            <TableCell sx={{ fontFamily: "monospace", color: "success.main", wordBreak: "break-all" }}>{show(c.after)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function AuditPage() {
  const { t, lang } = useI18n();
  const [f, setF] = useState({ actor: "", action: "", target: "", from: "", to: "" });
  const [page, setPage] = useState(0);
  const [rows, setRows] = useState(25);
  const [open, setOpen] = useState<number | null>(null);
  const q = useAuditLog({
    actor: f.actor || undefined, action: f.action || undefined, target: f.target || undefined,
    from: f.from || undefined, to: f.to || undefined, limit: rows, offset: page * rows,
  });
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const v = k === "from" || k === "to" ? fromLocalInput(e.target.value) ?? "" : e.target.value;
    setF({ ...f, [k]: v });
    setPage(0);
  };
  const hide = { display: { xs: "none", md: "table-cell" } };
  return (
    <Box>
      <PageHeader title={t("Audit log")} />
      <ErrorAlert error={q.error} />
      <Card>
        <Stack direction="row" spacing={1} sx={{ p: 2, flexWrap: "wrap", gap: 1 }}>
          <TextField label={t("Actor")} value={f.actor} onChange={set("actor")} sx={{ width: 160 }} fullWidth={false} />
          <TextField label={t("Action")} value={f.action} onChange={set("action")} sx={{ width: 180 }} fullWidth={false} />
          <TextField label={t("Target")} value={f.target} onChange={set("target")} sx={{ width: 200 }} fullWidth={false} />
          <TextField type="datetime-local" label={t("From")} value={toLocalInput(f.from)} onChange={set("from")} slotProps={{ inputLabel: { shrink: true } }} fullWidth={false} />
          <TextField type="datetime-local" label={t("To")} value={toLocalInput(f.to)} onChange={set("to")} slotProps={{ inputLabel: { shrink: true } }} fullWidth={false} />
        </Stack>
        <TableContainer>
          <Table size="small" aria-label={t("Audit log")}>
            <TableHead>
              <TableRow>
                <TableCell padding="checkbox" />
                <TableCell>{t("Time")}</TableCell>
                <TableCell>{t("Actor")}</TableCell>
                <TableCell>{t("Action")}</TableCell>
                <TableCell>{t("Target")}</TableCell>
                <TableCell sx={hide}>{t("IP")}</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {q.data?.items.map((e) => (
                <Fragment key={e.id}>
                  <TableRow hover>
                    <TableCell padding="checkbox">
                      <IconButton size="small" aria-label={`${t("Details")} ${e.action} ${e.target}`} aria-expanded={open === e.id}
                        onClick={() => setOpen(open === e.id ? null : e.id)}>
                        {open === e.id ? <ExpandLessIcon /> : <ExpandMoreIcon />}
                      </IconButton>
                    </TableCell>
                    <TableCell sx={{ whiteSpace: "nowrap" }}>{fmtTime(e.time, lang)}</TableCell>
                    <TableCell>{e.actor}</TableCell>
                    <TableCell sx={{ fontFamily: "monospace" }}>{e.action}</TableCell>
                    <TableCell sx={{ fontFamily: "monospace", wordBreak: "break-all" }}>{e.target}</TableCell>
                    <TableCell sx={hide}>{e.ip}</TableCell>
                  </TableRow>
                  <TableRow>
                    <TableCell colSpan={6} sx={{ py: 0, borderBottom: open === e.id ? undefined : "none" }}>
                      <Collapse in={open === e.id} unmountOnExit><Box sx={{ py: 1 }}><Diff e={e} /></Box></Collapse>
                    </TableCell>
                  </TableRow>
                </Fragment>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
        <TablePagination component="div" count={q.data?.total ?? 0} page={page} rowsPerPage={rows} rowsPerPageOptions={[25, 50, 100]}
          onPageChange={(_, p) => setPage(p)} onRowsPerPageChange={(e) => { setRows(Number(e.target.value)); setPage(0); }} />
      </Card>
    </Box>
  );
}
