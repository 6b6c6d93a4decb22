-- Usage events say whether admission issued the request a ticket: the tenant
-- grain rebuilds its counters from exactly these. Older events are marked by the
-- rule used before: a chat event with a model whose status is not 4xx.
ALTER TABLE usage_events ADD COLUMN admitted BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE usage_events SET admitted = TRUE WHERE model <> '' AND (status_code < 400 OR status_code >= 500);
