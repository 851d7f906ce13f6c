/**
 * Why a token was refused: `message` goes to the client in the 401 problem's detail; `why` says it
 * more precisely for the server's log only (bad signature, wrong algorithm, …), never the token.
 */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
  declare readonly why: string;
  constructor(message: string, why: string = message) {
    super(message);
    // not enumerable: two refusals with the same message compare equal
    Object.defineProperty(this, 'why', { value: why, enumerable: false });
  }
}
