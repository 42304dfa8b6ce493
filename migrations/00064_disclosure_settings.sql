-- +goose Up
-- The small-count threshold of published figures (maillage.DefaultSmallCount,
-- README "Figures that cannot single out"): counts from 1 to
-- small_count - 1 are suppressed. One row; change it with
--   UPDATE disclosure_settings SET small_count = 20;
CREATE TABLE disclosure_settings (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    small_count int NOT NULL DEFAULT 11 CHECK (small_count >= 1)
);
INSERT INTO disclosure_settings DEFAULT VALUES;

-- +goose Down
DROP TABLE disclosure_settings;
