package store

// Schema version 6 keeps the bot's signatures beside what they sign: each
// audit record's (Record.KeyID, Record.Sig), each request's statement and
// the decision that let it run (Request.Sig, Request.DecisionSig), and each
// approval's (Approval.Sig). Rows written before are empty: unsigned.
const (
	sqliteSchemaV6 = `
ALTER TABLE audit ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN sig TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN sig TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN decision_sig TEXT NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN sig TEXT NOT NULL DEFAULT '';
`
	pgSchemaV6 = `
ALTER TABLE audit ADD COLUMN key_id text NOT NULL DEFAULT '', ADD COLUMN sig text NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN sig text NOT NULL DEFAULT '', ADD COLUMN decision_sig text NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN sig text NOT NULL DEFAULT '';
`
)
