import { z } from 'zod';

/** staff record steps; managers also move deadlines, withdraw and see the portfolio; admins also manage tokens. */
export const roles = ['staff', 'manager', 'admin'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

const rank: Record<Role, number> = { staff: 1, manager: 2, admin: 3 };

/** The roles as people read them. */
export const roleLabels: Record<Role, string> = {
  staff: 'Personale',
  manager: 'Responsabile',
  admin: 'Amministratore',
};

export function roleAllows(actual: Role, required: Role): boolean {
  return rank[actual] >= rank[required];
}

/** Who is calling: recorded with every step in the workflow as `<role>:<name>`. */
export interface Actor {
  id: string;
  name: string;
  role: Role;
  via: 'token' | 'oidc';
}

export function actorLabel(actor: Actor): string {
  return `${actor.role}:${actor.name}`;
}
