import { useQuery } from "@tanstack/react-query";
import { client, unwrap } from "./client";
import { session } from "./session";

export function useLoginOptions() {
  return useQuery({ queryKey: ["login-options"], queryFn: () => unwrap(client.GET("/admin/login-options")), staleTime: Infinity });
}

export async function passwordLogin(username: string, password: string) {
  const r = await unwrap(client.POST("/admin/login", { body: { username, password } }));
  session.start({ token: r.token, expiresAt: Date.parse(r.expires_at), method: "password" });
}
