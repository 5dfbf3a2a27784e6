-- Groups and their members keep the order of the catalogue file, as the
-- indicators do: age bands are listed youngest first, whatever their keys.

-- +goose Up
ALTER TABLE indicator_group ADD COLUMN position integer NOT NULL DEFAULT 0;
ALTER TABLE indicator_group_member ADD COLUMN position integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE indicator_group_member DROP COLUMN position;
ALTER TABLE indicator_group DROP COLUMN position;
