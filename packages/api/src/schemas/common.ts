/** Shapes shared by several route groups of the local API. */
import Type from 'typebox';

/** The one error shape of the API: `{ error: { code, message } }`, status from the catalogue. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable code from the error catalogue.' }),
      message: Type.String({ description: 'A sentence for a person: what went wrong and what to do.' }),
    }),
  },
  { $id: 'ErrorBody', title: 'Error' },
);

/** A 32-byte id in lower-case hex. */
export const Hex32 = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** What sending a message, a post or a ballot returns: the new item and its conversation. */
export const SentItem = Type.Object({ id: Type.String(), conversation: Type.String() });

/** A body that must be empty when given (POST routes that take no input). */
export const NoBody = Type.Optional(Type.Object({}, { additionalProperties: false }));
