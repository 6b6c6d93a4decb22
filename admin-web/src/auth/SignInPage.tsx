import { useState } from "react";
import { Navigate } from "react-router-dom";
import { Alert, Box, Button, Card, CardContent, Divider, Stack, TextField, Typography } from "@mui/material";
import { ApiError } from "../api/errors";
import { passwordLogin, useLoginOptions } from "../api/login";
import { useSession } from "../api/session";
import { startSSO } from "../api/sso";
import { useT } from "../i18n/I18n";

export function SignInPage() {
  const t = useT();
  const { session, notice } = useSession();
  const opts = useLoginOptions();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (session) return <Navigate to="/" replace />;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await passwordLogin(username, password);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t("Wrong username or password.") : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const oidc = opts.data?.oidc;
  return (
    <Box sx={{ minHeight: "100vh", display: "grid", placeItems: "center", p: 2, bgcolor: "background.default" }}>
      <Card sx={{ width: "100%", maxWidth: 400 }}>
        <CardContent sx={{ p: 4 }}>
          <Stack spacing={0.5} sx={{ mb: 3, alignItems: "center" }}>
            <Box component="img" src="/console/favicon.svg" alt="" sx={{ width: 40, height: 40 }} />
            <Typography variant="h5" component="h1">ccgateway</Typography>
            <Typography variant="body2" color="text.secondary">{t("Admin console")}</Typography>
          </Stack>
          {notice && !error && <Alert severity="info" sx={{ mb: 2 }}>{t(notice)}</Alert>}
          {error && <Alert severity="error" sx={{ mb: 2 }}>{error}</Alert>}
          <Stack component="form" spacing={2} onSubmit={submit} noValidate>
            <TextField label={t("Username")} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
            <TextField label={t("Password")} name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            <Button type="submit" variant="contained" size="large" disabled={busy || !username || !password}>{busy ? t("Signing in…") : t("Sign in")}</Button>
          </Stack>
          {oidc && (
            <>
              <Divider sx={{ my: 2 }}>{t("or")}</Divider>
              <Button fullWidth variant="outlined" size="large" onClick={() => startSSO(oidc).catch((e: Error) => setError(e.message))}>
                {t("Sign in with SSO")}
              </Button>
            </>
          )}
        </CardContent>
      </Card>
    </Box>
  );
}
