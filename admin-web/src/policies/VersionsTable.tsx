import { Button, Chip, Table, TableBody, TableCell, TableHead, TableRow } from "@mui/material";
import { useActivatePolicy, usePolicyVersions } from "../api/policies";
import { ErrorAlert } from "../common/ErrorAlert";
import { fmtBytes, fmtTime } from "../common/format";
import { useI18n } from "../i18n/I18n";

export function VersionsTable({ name }: { name: string }) {
  const { t, lang } = useI18n();
  const v = usePolicyVersions(name);
  const activate = useActivatePolicy();
  return (
    <>
      <ErrorAlert error={v.error ?? activate.error} />
      <Table size="small" aria-label={`${name} ${t("Versions")}`}>
        <TableHead>
          <TableRow>
            <TableCell>{t("Version")}</TableCell>
            <TableCell>{t("Failure mode")}</TableCell>
            <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>sha256</TableCell>
            <TableCell align="right">{t("Size")}</TableCell>
            <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>{t("Created")}</TableCell>
            <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>{t("Created by")}</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {v.data?.items.map((p) => (
            <TableRow key={p.version}>
              <TableCell>v{p.version} {p.active && <Chip color="success" label={t("active")} sx={{ ml: 1 }} />}</TableCell>
              <TableCell>{p.failure_mode}</TableCell>
              <TableCell sx={{ display: { xs: "none", md: "table-cell" }, fontFamily: "monospace", fontSize: 12 }}>{p.sha256.slice(0, 12)}</TableCell>
              <TableCell align="right">{fmtBytes(p.size_bytes)}</TableCell>
              <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>{fmtTime(p.created_at, lang)}</TableCell>
              <TableCell sx={{ display: { xs: "none", md: "table-cell" } }}>{p.created_by}</TableCell>
              <TableCell align="right">
                {!p.active && (
                  <Button size="small" aria-label={`${t("Activate")} v${p.version}`} disabled={activate.isPending}
                    onClick={() => activate.mutate({ name, version: p.version })}>{t("Activate")}</Button>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </>
  );
}
