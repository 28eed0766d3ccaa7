import type { Principal } from '../auth/principal.js';
import { HeraldError } from '../errors.js';

/**
 * Who may do what, until scopes arrive: admins everything; anonymous callers
 * exist only in development, where they may do everything too; a gateway only
 * listens to its own events.
 */
export function requireOperator(principal: Principal): void {
  switch (principal.kind) {
    case 'admin':
    case 'anonymous':
      return;
    case 'gateway':
      throw new HeraldError('FORBIDDEN', 'Gateways may only subscribe to gatewayEvents');
  }
}
