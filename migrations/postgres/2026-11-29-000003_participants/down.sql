DROP TABLE ticket_participants;
