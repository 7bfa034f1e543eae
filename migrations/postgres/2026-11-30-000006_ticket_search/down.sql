DROP INDEX tickets_search_number_idx;
DROP INDEX tickets_search_description_idx;
DROP INDEX tickets_search_title_idx;
