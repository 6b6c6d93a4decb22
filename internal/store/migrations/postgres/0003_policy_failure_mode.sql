-- Policies remember their failure mode: 'closed' (deny when the policy errs) or 'open'.
ALTER TABLE policies ADD COLUMN failure_mode TEXT NOT NULL DEFAULT 'closed';
