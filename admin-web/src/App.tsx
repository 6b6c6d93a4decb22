import { useEffect, useState } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router-dom";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { CacheProvider } from "@emotion/react";
import createCache from "@emotion/cache";
import { ApiError } from "./api/errors";
import { session } from "./api/session";
import { AppTheme } from "./theme/AppTheme";
import { I18nProvider, useI18n } from "./i18n/I18n";
import { Shell } from "./layout/Shell";
import { RequireAuth } from "./auth/RequireAuth";
import { SignInPage } from "./auth/SignInPage";
import { SsoCallback } from "./auth/SsoCallback";
import { DashboardPage } from "./dashboard";
import { KeyPage, KeysPage } from "./keys";
import { MonitorPage } from "./monitor";
import { ProcessesPage } from "./processes";
import { PoliciesPage } from "./policies";
import { AuditPage } from "./audit";
import { PlaygroundPage } from "./playground";

// The CSP nonce Vite's build puts on <meta property="csp-nonce">, which the server
// fills per response: emotion's <style> elements need it.
function cspNonce(): string | undefined {
  const m = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  return m?.nonce || m?.getAttribute("nonce") || undefined;
}

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (n, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && n < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
}

function Themed({ children }: { children: React.ReactNode }) {
  const { lang } = useI18n();
  return <AppTheme lang={lang}>{children}</AppTheme>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route path="/sso" element={<SsoCallback />} />
      <Route element={<RequireAuth><Shell /></RequireAuth>}>
        <Route index element={<DashboardPage />} />
        <Route path="keys" element={<KeysPage />} />
        <Route path="keys/:id" element={<KeyPage />} />
        <Route path="monitor" element={<MonitorPage />} />
        <Route path="processes" element={<ProcessesPage />} />
        <Route path="policies" element={<PoliciesPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="playground" element={<PlaygroundPage />} />
      </Route>
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}

/** App wires the providers (emotion cache, query client, i18n, theme) and the routes. */
export function App() {
  const [cache] = useState(() => createCache({ key: "ccg", nonce: cspNonce(), prepend: true }));
  const [queries] = useState(makeQueryClient);
  // A session that ends (sign-out, expiry) drops every cached admin answer.
  useEffect(() => {
    const off = session.subscribe(() => {
      if (!session.get()) queries.clear();
    });
    return () => void off();
  }, [queries]);
  return (
    <CacheProvider value={cache}>
      <QueryClientProvider client={queries}>
        <I18nProvider>
          <Themed>
            <BrowserRouter basename="/console">
              <AppRoutes />
            </BrowserRouter>
          </Themed>
        </I18nProvider>
      </QueryClientProvider>
    </CacheProvider>
  );
}
