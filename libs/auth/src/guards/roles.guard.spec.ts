import { Controller, ExecutionContext, ForbiddenException, Get } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Roles } from '../decorators/roles.decorator';
import { RolesGuard } from './roles.guard';

@Roles('admin')
@Controller()
class AdminOnly {
  @Get()
  list(): void {}

  @Roles('auditor')
  @Get()
  audit(): void {}
}

@Controller()
class Open {
  @Get()
  anyone(): void {}

  @Roles('support', 'admin')
  @Get()
  staff(): void {}
}

function contextFor(target: object, handler: string, roles: string[]): ExecutionContext {
  const request = { user: { id: 'u', sessionId: 's', roles } };
  return {
    getClass: () => target,
    getHandler: () => (target as { prototype: Record<string, () => void> }).prototype[handler],
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

describe('RolesGuard', () => {
  let guard: RolesGuard;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ providers: [RolesGuard] }).compile();
    guard = module.get(RolesGuard);
  });

  const allows = (target: object, handler: string, roles: string[]) => {
    try {
      return guard.canActivate(contextFor(target, handler, roles));
    } catch (error) {
      if (error instanceof ForbiddenException) return false;
      throw error;
    }
  };

  it('lets anyone through a route with no @Roles anywhere', () => {
    expect(allows(Open, 'anyone', [])).toBe(true);
  });

  it('needs one of a route’s roles', () => {
    expect(allows(Open, 'staff', ['support'])).toBe(true);
    expect(allows(Open, 'staff', ['admin'])).toBe(true);
    expect(allows(Open, 'staff', ['user'])).toBe(false);
  });

  it('applies a controller’s roles to its routes', () => {
    expect(allows(AdminOnly, 'list', ['admin'])).toBe(true);
    expect(allows(AdminOnly, 'list', ['user'])).toBe(false);
  });

  it('lets a route narrow its controller’s rule, never widen it: both lists must be met', () => {
    expect(allows(AdminOnly, 'audit', ['auditor'])).toBe(false);
    expect(allows(AdminOnly, 'audit', ['admin'])).toBe(false);
    expect(allows(AdminOnly, 'audit', ['admin', 'auditor'])).toBe(true);
  });
});
