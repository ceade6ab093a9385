import type { Member } from './types';
import { AgentTeamError } from '../errors';

/** The team cannot run as configured (no members, duplicate names, a fallback naming nobody). */
export class TeamError extends AgentTeamError {
	constructor(
		message: string,
		/** The node parameter to look at. */
		readonly field: string,
	) {
		super('TEAM_INPUT', message);
	}
}

/** The team by name; throws a TeamError for a team that cannot run. */
export function indexTeam(members: Member[]): Map<string, Member> {
	if (members.length === 0) {
		throw new TeamError('The team has no members: add one under "Members" or connect a node to the Team input', 'Members');
	}
	const byName = new Map<string, Member>();
	for (const member of members) {
		const name = member.name.trim();
		if (!name) throw new TeamError('A member has no name', 'Members');
		const key = name.toLowerCase();
		if ([...byName.keys()].some((k) => k.toLowerCase() === key)) {
			throw new TeamError(`Two members are named "${name}"; names must be unique (the planner refers to members by name)`, 'Members');
		}
		byName.set(name, member);
	}
	for (const member of members) {
		if (!member.fallback) continue;
		if (!findMember(byName, member.fallback)) {
			throw new TeamError(`Member "${member.name}" names an unknown fallback member "${member.fallback}"`, 'Members');
		}
		if (findMember(byName, member.fallback)!.name === member.name) {
			throw new TeamError(`Member "${member.name}" names itself as its fallback`, 'Members');
		}
	}
	return byName;
}

/** A member by name, ignoring case and surrounding spaces (models are loose with case). */
export function findMember(team: Map<string, Member>, name: string | undefined): Member | undefined {
	if (!name) return undefined;
	const wanted = name.trim().toLowerCase();
	for (const member of team.values()) if (member.name.toLowerCase() === wanted) return member;
	return undefined;
}

/** The members named in `names` in that order (all members when empty); throws for an unknown name. */
export function selectMembers(team: Map<string, Member>, names: string[]): Member[] {
	if (names.length === 0) return [...team.values()];
	return names.map((name) => {
		const member = findMember(team, name);
		if (!member) throw new TeamError(`"Members to Use" names an unknown member "${name}" (team: ${[...team.keys()].join(', ')})`, 'Members to Use');
		return member;
	});
}
