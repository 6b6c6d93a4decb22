import { useDeferredValue, useMemo, useState } from "react";
import { Link as RouterLink } from "react-router-dom";
import {
  Box, Button, Card, InputAdornment, LinearProgress, Link, MenuItem, Stack, Table, TableBody, TableCell, TableContainer, TableHead,
  TablePagination, TableRow, TextField, Typography,
} from "@mui/material";
import AddIcon from "@mui/icons-material/Add";
import SearchIcon from "@mui/icons-material/Search";
import { useKeys, type KeyStatus } from "../api/keys";
import { ErrorAlert } from "../common/ErrorAlert";
import { fmtTime } from "../common/format";
import { PageHeader } from "../common/PageHeader";
import { useI18n } from "../i18n/I18n";
import { KeyRowActions } from "./KeyRowActions";
import { StatusChip } from "./StatusChip";
import { useKeyActions } from "./useKeyActions";

export function KeysPage() {
  const { t, lang } = useI18n();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<KeyStatus | "">("");
  const [page, setPage] = useState(0);
  const [rows, setRows] = useState(25);
  const deferredSearch = useDeferredValue(search);
  const q = useMemo(() => ({ search: deferredSearch, status: status || undefined, limit: rows, offset: page * rows }), [deferredSearch, status, rows, page]);
  const keys = useKeys(q);
  const a = useKeyActions();
  return (
    <Box>
      <PageHeader title={t("API keys")} actions={<Button variant="contained" startIcon={<AddIcon />} onClick={a.openCreate}>{t("Create key")}</Button>} />
      <ErrorAlert error={keys.error ?? a.statusError} />
      <Card>
        <Stack direction={{ xs: "column", sm: "row" }} spacing={1.5} sx={{ p: 2 }}>
          <TextField label={t("Search")} value={search} onChange={(e) => { setSearch(e.target.value); setPage(0); }} sx={{ maxWidth: { sm: 360 } }}
            slotProps={{ input: { startAdornment: <InputAdornment position="start"><SearchIcon fontSize="small" /></InputAdornment> } }} />
          <TextField select label={t("Status")} value={status} onChange={(e) => { setStatus(e.target.value as KeyStatus | ""); setPage(0); }} sx={{ maxWidth: { sm: 180 } }}>
            <MenuItem value="">{t("All")}</MenuItem>
            <MenuItem value="active">{t("active")}</MenuItem>
            <MenuItem value="suspended">{t("suspended")}</MenuItem>
            <MenuItem value="expired">{t("expired")}</MenuItem>
          </TextField>
        </Stack>
        {keys.isFetching && <LinearProgress sx={{ height: 2 }} />}
        <TableContainer>
          <Table aria-label={t("API keys")}>
            <TableHead>
              <TableRow>
                <TableCell>{t("Name")}</TableCell>
                <TableCell>{t("Key")}</TableCell>
                <TableCell>{t("Status")}</TableCell>
                <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>{t("Created")}</TableCell>
                <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>{t("Expires")}</TableCell>
                <TableCell sx={{ display: { xs: "none", lg: "table-cell" } }}>{t("Last used")}</TableCell>
                <TableCell>{t("Actions")}</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {keys.data?.items.map((k) => (
                <TableRow key={k.id} hover>
                  <TableCell>
                    <Link component={RouterLink} to={`/keys/${k.id}`} sx={{ fontWeight: 600 }}>{k.name}</Link>
                    {k.metadata.project && <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>{k.metadata.project}</Typography>}
                  </TableCell>
                  <TableCell sx={{ fontFamily: "monospace", whiteSpace: "nowrap" }}>{k.key}</TableCell>
                  <TableCell><StatusChip status={k.status} /></TableCell>
                  <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>{fmtTime(k.created_at, lang)}</TableCell>
                  <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>{k.expires_at ? fmtTime(k.expires_at, lang) : t("Never")}</TableCell>
                  <TableCell sx={{ display: { xs: "none", lg: "table-cell" } }}>{k.last_used_at ? fmtTime(k.last_used_at, lang) : t("Never")}</TableCell>
                  <TableCell>
                    <KeyRowActions k={k} onEdit={() => a.edit(k)} onStatus={(s) => a.setStatus(k, s)} onRotate={() => a.rotate(k)} onDelete={() => a.remove(k)} />
                  </TableCell>
                </TableRow>
              ))}
              {keys.data?.items.length === 0 && (
                <TableRow><TableCell colSpan={7}><Typography color="text.secondary">{t("No keys yet.")}</Typography></TableCell></TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
        <TablePagination component="div" count={keys.data?.total ?? 0} page={page} rowsPerPage={rows} rowsPerPageOptions={[10, 25, 50, 100]}
          onPageChange={(_, p) => setPage(p)} onRowsPerPageChange={(e) => { setRows(Number(e.target.value)); setPage(0); }} />
      </Card>
      {a.dialogs}
    </Box>
  );
}
