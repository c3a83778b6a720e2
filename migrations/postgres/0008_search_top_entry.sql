-- The entry a search answered with first, so the hot topics (GET /api/v1/stats/hot-topics) count
-- needs with one GROUP BY. Null when the search found no answer.

ALTER TABLE searches ADD COLUMN top_entry TEXT;
UPDATE searches SET top_entry = (returned_ids::json ->> 0) WHERE no_answer = 0;
