// Memory Manager: Select Environment — which project and environment the views show and the
// commands act on; the choice is remembered for the workspace.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { inVsCodeTerms } from '../messages';
import { dynamicLibraryNames, firmwareElf } from '../target';

export const selectEnvironment = (ctx: Ctx) => async () => {
  if (!ctx.projects.length) {
    ctx.requireTarget();
    return;
  }
  const items = ctx.projects.flatMap((project) =>
    project.envs.map((env) => {
      const libs = dynamicLibraryNames({ project, env });
      return {
        label: env.name,
        description: ctx.projects.length > 1 ? project.label : undefined,
        detail: [
          env.board && `board ${env.board}`,
          env.problem && inVsCodeTerms(env.problem),
          libs.length ? `dynamic: ${libs.join(', ')}` : '',
          fs.existsSync(firmwareElf({ project, env })) ? 'built' : 'not built',
        ]
          .filter(Boolean)
          .join(' · '),
        picked: ctx.target?.project === project && ctx.target.env === env,
        target: { project, env },
      };
    }),
  );
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Memory Manager: PlatformIO environment',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (pick) await ctx.select(pick.target, true);
};
