<#
.SYNOPSIS
  Starts backburnerd for the current user at every logon (a Scheduled Task), and now.

.DESCRIPTION
  Registers the Scheduled Task "backburnerd" for the current user: triggered at this user's
  logon, running with the user's normal (limited) rights, only while the user is logged on.
  Its action runs backburnerd.exe without --foreground: the daemon detaches and the action ends
  once it serves (exit 0), or at once if a daemon already serves this user's state dir (exit 3,
  not a failure). Clients (the backburner CLI, backburner-mcp) start the daemon on demand anyway;
  the task makes it available from logon and adopts the tasks that outlived the last one.

  Ending or removing the Scheduled Task never stops tasks: they run under their keepers.
  Run again to update the task (for example after moving backburnerd.exe).
  `backburner service install` runs this script; see SERVICES.md.

.PARAMETER Daemon
  Path of backburnerd.exe. Default: ..\..\..\bin\backburnerd.exe from this script
  (the layout `cmake --install` creates), else backburnerd.exe on PATH.

.PARAMETER StateDir
  Sets BACKBURNER_HOME for the daemon (through the task's command line). Default: the
  daemon's own default (%LOCALAPPDATA%\backburner), or $env:BACKBURNER_HOME when set.

.PARAMETER Pipe
  Sets BACKBURNER_SOCKET for the daemon: the named pipe it serves (\\.\pipe\NAME). Default:
  the daemon's own (named after the user and the state dir), or $env:BACKBURNER_SOCKET when set.

.EXAMPLE
  powershell -NoProfile -ExecutionPolicy Bypass -File install-service.ps1
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
  [string]$Daemon = '',
  [string]$StateDir = $env:BACKBURNER_HOME,
  [string]$Pipe = $env:BACKBURNER_SOCKET,
  [string]$TaskName = 'backburnerd'
)
$ErrorActionPreference = 'Stop'

if (-not $Daemon) {
  $candidate = Join-Path $PSScriptRoot '..\..\..\bin\backburnerd.exe'
  if (Test-Path $candidate) {
    $Daemon = $candidate
  } else {
    $found = Get-Command backburnerd.exe -ErrorAction SilentlyContinue
    if (-not $found) { throw 'backburnerd.exe was found neither next to this script nor on PATH; pass -Daemon' }
    $Daemon = $found.Source
  }
}
$Daemon = (Resolve-Path $Daemon).Path

# The action: the daemon itself, or (to give it BACKBURNER_HOME / BACKBURNER_SOCKET) cmd.exe
# setting them first.
$settings = @()
if ($StateDir) { $settings += ('set "BACKBURNER_HOME={0}"' -f $StateDir) }
if ($Pipe) { $settings += ('set "BACKBURNER_SOCKET={0}"' -f $Pipe) }
if ($settings.Count -gt 0) {
  $action = New-ScheduledTaskAction -Execute 'cmd.exe' `
    -Argument ('/d /c {0} && "{1}"' -f ($settings -join ' && '), $Daemon)
} else {
  $action = New-ScheduledTaskAction -Execute $Daemon
}
$user = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name
$trigger = New-ScheduledTaskTrigger -AtLogOn -User $user
$principal = New-ScheduledTaskPrincipal -UserId $user -LogonType Interactive -RunLevel Limited
$taskSettings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries `
  -StartWhenAvailable -MultipleInstances IgnoreNew -ExecutionTimeLimit ([TimeSpan]::Zero)

if ($PSCmdlet.ShouldProcess($TaskName, "register the Scheduled Task running $Daemon at logon")) {
  Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger `
    -Principal $principal -Settings $taskSettings `
    -Description 'backburner task daemon: durable background tasks (see SERVICES.md)' -Force | Out-Null
  Start-ScheduledTask -TaskName $TaskName
  Write-Output "Registered the Scheduled Task '$TaskName' (at logon of $user) and started it."
}
