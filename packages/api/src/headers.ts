/**
 * Setup from a backup (`kith restore` on a node waiting in setup mode): the sealed file is the
 * request body (application/octet-stream, `ApiClient.upload`); its passphrase travels in this
 * header as base64url of its UTF-8 (a header carries no other bytes), never in the URL. Apart
 * from the schemas so the browser's bundle takes the name without them.
 */
export const BACKUP_PASSPHRASE_HEADER = 'kith-backup-passphrase';
