CREATE TABLE "conversation_unshipped" (
	"conversation_id" text NOT NULL,
	"kind" text NOT NULL,
	"item_id" text NOT NULL,
	"item_sealed" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "conversation_unshipped_conversation_id_kind_item_id_pk" PRIMARY KEY("conversation_id","kind","item_id"),
	CONSTRAINT "conversation_unshipped_kind" CHECK ("conversation_unshipped"."kind" in ('genesis', 'event', 'outcome'))
);
