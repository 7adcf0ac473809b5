-- Tokenworth board, schema 3: the page reads a team's period from covering indexes, so that no
-- row is looked up in its table (a month of a large team is millions of rows scattered over the
-- tables in the order they were sent). They replace the (team, day) indexes, which they cover.
DROP INDEX days_team_day;
CREATE INDEX days_team_day_cover ON days (team, day, member_id, cost_micros, total_tokens, has_outcomes);
DROP INDEX day_tools_team_day;
CREATE INDEX day_tools_team_day_cover ON day_tools (team, day, member_id, name, cost_micros, total_tokens);
DROP INDEX day_models_team_day;
CREATE INDEX day_models_team_day_cover ON day_models (team, day, member_id, name, cost_micros, total_tokens);
DROP INDEX day_outcomes_team_day;
CREATE INDEX day_outcomes_team_day_cover ON day_outcomes (team, day, member_id, outcome, sessions, cost_micros);
