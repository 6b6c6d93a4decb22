import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { useSession } from "../api/session";

/** RequireAuth sends visitors without a live session to the sign-in page. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { session } = useSession();
  const loc = useLocation();
  if (!session) return <Navigate to="/sign-in" replace state={{ from: loc.pathname }} />;
  return <>{children}</>;
}
