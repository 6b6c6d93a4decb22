import { useEffect, useState } from "react";
import { Link as RouterLink, useNavigate } from "react-router-dom";
import { Alert, Box, CircularProgress, Link } from "@mui/material";
import { completeSSO } from "../api/sso";
import { useT } from "../i18n/I18n";

export function SsoCallback() {
  const t = useT();
  const nav = useNavigate();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    completeSSO(window.location.search).then(() => nav("/", { replace: true }), (e: Error) => setError(e.message));
  }, [nav]);
  return (
    <Box sx={{ minHeight: "100vh", display: "grid", placeItems: "center", p: 2 }}>
      {error ? (
        <Alert severity="error">
          {error} <Link component={RouterLink} to="/sign-in">{t("Sign in")}</Link>
        </Alert>
      ) : (
        <CircularProgress aria-label={t("Signing in…")} />
      )}
    </Box>
  );
}
