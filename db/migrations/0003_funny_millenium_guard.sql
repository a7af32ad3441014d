CREATE TABLE "conversation_events" (
	"conversation_id" text NOT NULL,
	"event_id" text NOT NULL,
	"event_sealed" "bytea" NOT NULL,
	"position" integer,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "conversation_events_conversation_id_event_id_pk" PRIMARY KEY("conversation_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "conversation_outcomes" (
	"conversation_id" text NOT NULL,
	"outcome_id" text NOT NULL,
	"verdict" text NOT NULL,
	"outcome_sealed" "bytea" NOT NULL,
	"note_sealed" "bytea",
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "conversation_outcomes_conversation_id_outcome_id_pk" PRIMARY KEY("conversation_id","outcome_id"),
	CONSTRAINT "conversation_outcomes_verdict" CHECK ("conversation_outcomes"."verdict" in ('accepted', 'conflict', 'disagree'))
);
--> statement-breakpoint
CREATE TABLE "conversation_pending" (
	"conversation_id" text NOT NULL,
	"kind" text NOT NULL,
	"item_id" text NOT NULL,
	"item_sealed" "bytea" NOT NULL,
	"from_user" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "conversation_pending_conversation_id_kind_item_id_pk" PRIMARY KEY("conversation_id","kind","item_id"),
	CONSTRAINT "conversation_pending_kind" CHECK ("conversation_pending"."kind" in ('genesis', 'event', 'outcome'))
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"genesis_sealed" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "conversations_status_check" CHECK ("conversations"."status" in ('open', 'closed'))
);
--> statement-breakpoint
CREATE INDEX "conversations_status" ON "conversations" USING btree ("status","created_at");