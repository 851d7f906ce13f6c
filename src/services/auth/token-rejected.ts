/** Why a token was refused; sent to the client in the 401 problem's detail. */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
}
