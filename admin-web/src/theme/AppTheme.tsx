import { useMemo, type ReactNode } from "react";
import { CssBaseline } from "@mui/material";
import { createTheme, ThemeProvider } from "@mui/material/styles";
import { zhCN, enUS } from "@mui/material/locale";
import { colorSchemes, shape, typography } from "./themePrimitives";
import { dataDisplay, inputs, surfaces } from "./customizations";

// AppTheme is the one theme: light and dark schemes (switched by class, kept in
// localStorage by MUI) and the locale of MUI's own strings.
export function AppTheme({ children, lang }: { children: ReactNode; lang: "en" | "zh-CN" }) {
  const theme = useMemo(
    () =>
      createTheme(
        {
          cssVariables: { colorSchemeSelector: "class" },
          colorSchemes,
          shape,
          typography,
          components: { ...surfaces, ...inputs, ...dataDisplay },
        },
        lang === "zh-CN" ? zhCN : enUS,
      ),
    [lang],
  );
  return (
    <ThemeProvider theme={theme} defaultMode="system">
      <CssBaseline enableColorScheme />
      {children}
    </ThemeProvider>
  );
}
