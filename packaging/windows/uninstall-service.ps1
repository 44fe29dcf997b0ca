<#
.SYNOPSIS
  Removes the Scheduled Task that starts backburnerd at logon.

.DESCRIPTION
  Unregisters the Scheduled Task "backburnerd" (see install-service.ps1). A daemon that is
  running keeps running, and so do its tasks: stop the daemon with `backburner daemon stop`
  (tasks still keep running under their keepers). Clients start a daemon on demand again.
  `backburner service uninstall` runs this script; see SERVICES.md.

.EXAMPLE
  powershell -NoProfile -ExecutionPolicy Bypass -File uninstall-service.ps1
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param([string]$TaskName = 'backburnerd')
$ErrorActionPreference = 'Stop'

$task = Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue
if (-not $task) {
  Write-Output "No Scheduled Task '$TaskName' is registered."
  return
}
if ($PSCmdlet.ShouldProcess($TaskName, 'unregister the Scheduled Task')) {
  Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
  Write-Output "Removed the Scheduled Task '$TaskName'. A running daemon and its tasks keep running."
}
