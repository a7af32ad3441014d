ALTER TABLE "outbox" ALTER COLUMN "item" DROP NOT NULL;--> statement-breakpoint
CREATE INDEX "outbox_created" ON "outbox" USING btree ("created_at");--> statement-breakpoint
ALTER TABLE "outbox" DROP COLUMN "last_attempt_at";