import { useState } from "react";
import { useCreateKey, useDeleteKey, useRotateKey, useUpdateKey, type APIKey } from "../api/keys";
import { ConfirmDialog } from "../common/ConfirmDialog";
import { useT } from "../i18n/I18n";
import { KeyFormDialog } from "./KeyFormDialog";
import { formFromKey, toCreate, toUpdate } from "./keyForm";
import { RotateDialog } from "./RotateDialog";
import { SecretDialog } from "./SecretDialog";

/** useKeyActions holds the key dialogs (create, edit, rotate, delete, secret) for a page. */
export function useKeyActions(onDeleted?: () => void) {
  const t = useT();
  const create = useCreateKey();
  const update = useUpdateKey();
  const rotate = useRotateKey();
  const del = useDeleteKey();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<APIKey | null>(null);
  const [rotating, setRotating] = useState<APIKey | null>(null);
  const [deleting, setDeleting] = useState<APIKey | null>(null);
  const [secret, setSecret] = useState<APIKey | null>(null);
  // A new secret waits for the dialog that asked for it to finish closing: two MUI
  // modals in transition at once leave the page aria-hidden and the second unclosable.
  const [pending, setPending] = useState<APIKey | null>(null);
  const showPending = () => {
    if (pending) setSecret(pending);
    setPending(null);
  };

  const dialogs = (
    <>
      <KeyFormDialog open={creating} title={t("Create key")} submitLabel={t("Create")} busy={create.isPending} error={create.error}
        onClose={() => { setCreating(false); create.reset(); }} onExited={showPending}
        onSubmit={(v) => create.mutate(toCreate(v), { onSuccess: (k) => { setPending(k); setCreating(false); } })} />
      <KeyFormDialog open={!!editing} title={`${t("Edit key")}: ${editing?.name ?? ""}`} submitLabel={t("Save")}
        initial={editing ? formFromKey(editing) : undefined} busy={update.isPending} error={update.error}
        onClose={() => { setEditing(null); update.reset(); }} onExited={showPending}
        onSubmit={(v) => editing && update.mutate({ id: editing.id, body: toUpdate(v, editing) }, {
          onSuccess: (k) => { if (k.signing_secret) setPending(k); setEditing(null); },
        })} />
      <RotateDialog apiKey={rotating} busy={rotate.isPending} error={rotate.error} onClose={() => { setRotating(null); rotate.reset(); }} onExited={showPending}
        onRotate={(grace, signing) => rotating && rotate.mutate({ id: rotating.id, body: { grace_period_seconds: grace, rotate_signing_secret: signing } }, {
          onSuccess: (k) => { setPending(k); setRotating(null); },
        })} />
      <ConfirmDialog open={!!deleting} title={t("Delete key")} confirm={t("Delete")} busy={del.isPending} error={del.error}
        text={t("Delete key {name}? Its conversations and CLI processes go too; usage records stay.", { name: deleting?.name ?? "" })}
        onClose={() => { setDeleting(null); del.reset(); }}
        onConfirm={() => deleting && del.mutate(deleting.id, { onSuccess: () => { setDeleting(null); onDeleted?.(); } })} />
      <SecretDialog apiKey={secret} onClose={() => setSecret(null)} />
    </>
  );
  const setStatus = (k: APIKey, status: "active" | "suspended") => update.mutate({ id: k.id, body: { status } });
  return { dialogs, openCreate: () => setCreating(true), edit: setEditing, rotate: setRotating, remove: setDeleting, setStatus, statusError: update.error };
}
