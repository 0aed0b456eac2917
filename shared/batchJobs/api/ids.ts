import { randomBytes } from 'node:crypto';

/**
 * 12 hex digits of milliseconds then 12 random ones: unguessable (48 random bits, and a
 * tenant's ids are never enough to find another's, who gets 404 anyway) and sorting in
 * creation order, so list pages break ties within a second the way they were made.
 */
function sortableSuffix(nowMs: number): string {
  return Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, '0').slice(-12) + randomBytes(6).toString('hex');
}

/** A new File id, `file-` and 24 hex digits. */
export function newFileId(nowMs = Date.now()): string {
  return `file-${sortableSuffix(nowMs)}`;
}

/** A new Batch (job) id, `batch_` and 24 hex digits. */
export function newBatchId(nowMs = Date.now()): string {
  return `batch_${sortableSuffix(nowMs)}`;
}

/** A new Upload id, `upload_` and 24 hex digits. */
export function newUploadId(nowMs = Date.now()): string {
  return `upload_${sortableSuffix(nowMs)}`;
}

/** A new Upload Part id, `part_` and 24 hex digits. */
export function newPartId(nowMs = Date.now()): string {
  return `part_${sortableSuffix(nowMs)}`;
}

/*
 * What a path id may look like. Looser than what we mint, so ids other steps make
 * (output files, dropped-file jobs) pass; anything else is answered 404 unread.
 */
const FILE_ID = /^file-[A-Za-z0-9_-]{1,64}$/;
const BATCH_ID = /^batch_[A-Za-z0-9_-]{1,64}$/;
const UPLOAD_ID = /^upload_[A-Za-z0-9_-]{1,64}$/;

/** Whether `id` can be a File id. */
export const isFileId = (id: string): boolean => FILE_ID.test(id);

/** Whether `id` can be a Batch id. */
export const isBatchId = (id: string): boolean => BATCH_ID.test(id);

/** Whether `id` can be an Upload id. */
export const isUploadId = (id: string): boolean => UPLOAD_ID.test(id);
