CREATE TABLE "epoch_keys" (
	"epoch_id" "bytea" PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"sender_device" text NOT NULL,
	"key_sealed" "bytea" NOT NULL,
	"recipients" text NOT NULL,
	"message_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" "bytea" PRIMARY KEY NOT NULL,
	"conversation_id" text NOT NULL,
	"sender_device" text NOT NULL,
	"sender_user" text NOT NULL,
	"epoch_id" "bytea" NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"item" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"item_id" "bytea" NOT NULL,
	"target_device" text NOT NULL,
	"kind" text NOT NULL,
	"item" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_attempt_at" timestamp with time zone,
	CONSTRAINT "outbox_item_id_target_device_pk" PRIMARY KEY("item_id","target_device")
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"item_id" "bytea" NOT NULL,
	"device" text NOT NULL,
	"state" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "receipts_item_id_device_state_pk" PRIMARY KEY("item_id","device","state")
);
--> statement-breakpoint
CREATE TABLE "relay_queue" (
	"item_id" "bytea" NOT NULL,
	"target_device" text NOT NULL,
	"owner_user" text NOT NULL,
	"origin" text NOT NULL,
	"kind" text NOT NULL,
	"item" "bytea" NOT NULL,
	"size" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "relay_queue_item_id_target_device_pk" PRIMARY KEY("item_id","target_device")
);
--> statement-breakpoint
CREATE INDEX "epoch_keys_sender" ON "epoch_keys" USING btree ("conversation_id","sender_device","created_at");--> statement-breakpoint
CREATE INDEX "messages_conversation" ON "messages" USING btree ("conversation_id","sent_at");--> statement-breakpoint
CREATE INDEX "outbox_target" ON "outbox" USING btree ("target_device");--> statement-breakpoint
CREATE INDEX "relay_queue_target" ON "relay_queue" USING btree ("target_device");--> statement-breakpoint
CREATE INDEX "relay_queue_owner" ON "relay_queue" USING btree ("owner_user");