import { useState } from "react";
import {
  Accordion, AccordionDetails, AccordionSummary, Box, Button, Card, CardContent, Chip, Stack, Typography,
} from "@mui/material";
import ExpandMoreIcon from "@mui/icons-material/ExpandMore";
import UploadIcon from "@mui/icons-material/UploadFile";
import ArrowIcon from "@mui/icons-material/ArrowForward";
import { useDeletePolicy, usePolicies, useRollbackPolicy } from "../api/policies";
import { ConfirmDialog } from "../common/ConfirmDialog";
import { ErrorAlert } from "../common/ErrorAlert";
import { PageHeader } from "../common/PageHeader";
import { useT } from "../i18n/I18n";
import { DryRunDialog } from "./DryRunDialog";
import { UploadDialog } from "./UploadDialog";
import { VersionsTable } from "./VersionsTable";

export function PoliciesPage() {
  const t = useT();
  const list = usePolicies();
  const rollback = useRollbackPolicy();
  const del = useDeletePolicy();
  const [upload, setUpload] = useState<{ name?: string } | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const d = list.data;
  return (
    <Box>
      <PageHeader title={t("Policies")} actions={<Button variant="contained" startIcon={<UploadIcon />} onClick={() => setUpload({})}>{t("Upload policy")}</Button>} />
      <ErrorAlert error={list.error ?? rollback.error} />
      <Card component="section" aria-label={t("Active chain")} sx={{ mb: 2 }}>
        <CardContent>
          <Typography variant="h6" component="h2" sx={{ mb: 1.5 }}>{t("Active chain")}</Typography>
          <Stack direction="row" component="ol" aria-label={t("Active chain")} sx={{ flexWrap: "wrap", gap: 1, alignItems: "center", listStyle: "none", p: 0, m: 0 }}>
            {d?.chain.map((c, i) => (
              <Stack component="li" direction="row" key={c.name} spacing={1} sx={{ alignItems: "center" }}>
                {i > 0 && <ArrowIcon fontSize="small" color="disabled" />}
                <Chip color="primary" variant="outlined" label={`${c.name} v${c.version}${c.bundled ? ` · ${t("bundled")}` : ""} · ${c.failure_mode}`} />
              </Stack>
            ))}
          </Stack>
        </CardContent>
      </Card>
      {d?.policies.map((p) => (
        <Accordion key={p.name} disableGutters sx={{ mb: 1 }} slotProps={{ transition: { unmountOnExit: true } }}>
          <AccordionSummary expandIcon={<ExpandMoreIcon />} aria-label={p.name}>
            <Stack direction="row" spacing={1} sx={{ alignItems: "center", flexWrap: "wrap" }}>
              <Typography sx={{ fontWeight: 600 }}>{p.name}</Typography>
              <Chip label={`${t("Versions")}: ${p.versions}`} />
              {p.active_version > 0 ? <Chip color="success" label={`${t("Active version")}: v${p.active_version}`} /> : <Chip label={t("None")} />}
            </Stack>
          </AccordionSummary>
          <AccordionDetails>
            <Stack direction="row" spacing={1} sx={{ mb: 1, flexWrap: "wrap", gap: 1 }}>
              <Button size="small" variant="outlined" onClick={() => setTesting(p.name)}>{t("Test")}</Button>
              <Button size="small" variant="outlined" onClick={() => setUpload({ name: p.name })}>{t("Upload")}</Button>
              <Button size="small" variant="outlined" disabled={rollback.isPending} onClick={() => rollback.mutate(p.name)}>{t("Rollback")}</Button>
              <Button size="small" variant="outlined" color="error" onClick={() => setDeleting(p.name)}>{t("Delete")}</Button>
            </Stack>
            <VersionsTable name={p.name} />
          </AccordionDetails>
        </Accordion>
      ))}
      <UploadDialog open={!!upload} initialName={upload?.name} onClose={() => setUpload(null)} />
      <DryRunDialog name={testing} onClose={() => setTesting(null)} />
      <ConfirmDialog open={!!deleting} title={t("Delete policy")} confirm={t("Delete")} busy={del.isPending} error={del.error}
        text={t("Delete policy {name}? Every version goes.", { name: deleting ?? "" })}
        onClose={() => { setDeleting(null); del.reset(); }} onConfirm={() => deleting && del.mutate(deleting, { onSuccess: () => setDeleting(null) })} />
    </Box>
  );
}
