DROP INDEX sla_events_once_idx;
