function Uninstall-WslPortProxy {
    <#
    .SYNOPSIS
        Removes the WSL port proxy from this server: task, the rules it created, installed files.
    .DESCRIPTION
        Run elevated. It stops and unregisters the scheduled task \WslPortProxy\WslPortProxy,
        removes exactly the portproxy and firewall rules this tool created (as recorded in
        <install folder>\state.json; a rule it took over is set back to its old target, every
        other rule stays), and deletes the install folder. The logs folder and the event source
        are kept unless -Purge is given.

        Returns a WslPortProxy.UninstallResult (see OUTPUTS). A failure is a terminating error;
        Data['WslPortProxyExitCode']
        is the entry script's exit code: 2 NotElevated, 5 when rules could not be removed (the
        task is already unregistered: run it again), 8 LockTimeout or LockFolderUnsafe (the
        reconcile lock cannot be had: nothing was changed), 9 TaskStillRunning (the task's running
        instance did not stop within 30 seconds), 10 InvalidSettings, 1 unexpected.
    .PARAMETER Settings
        The settings: the path of a WslPortProxy.Settings.psd1 or a table with its keys.
    .PARAMETER Purge
        Also deletes the logs and the event source WslPortProxy.
    .EXAMPLE
        Uninstall-WslPortProxy -Settings "$env:ProgramData\WslPortProxy\WslPortProxy.Settings.psd1"

        Removes everything but the logs.
    .EXAMPLE
        Uninstall-WslPortProxy -Settings .\WslPortProxy.Settings.psd1 -Purge -WhatIf

        Shows what a complete removal would delete.
    .OUTPUTS
        WslPortProxy.UninstallResult
              Server            the settings' server name
              InstallDirectory  the install folder that was deleted
              TaskRemoved       whether a scheduled task was unregistered
              RulesRemoved      how many portproxy and firewall rules were removed or set back
              LogsKept          $true unless Purge was given
    .LINK
        Install-WslPortProxy
    .LINK
        Update-WslPortProxy
    .LINK
        about_WslPortProxy
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('WslPortProxy.UninstallResult')]
    param(
        [Parameter(Mandatory, Position = 0)] [object] $Settings,
        [switch] $Purge
    )
    $ErrorActionPreference = 'Stop'
    try {
        $config = Import-Settings -Settings $Settings
        if (-not (Test-Elevated)) {
            $message = 'Uninstall-WslPortProxy.ps1 must run elevated: open PowerShell with "Run as administrator" ' +
                'and run it again.'
            throw (New-Failure -ExitCode 2 -ErrorId 'NotElevated' -Message $message -Category PermissionDenied)
        }
        # The reconcile lock first: when it cannot be had (its folder cannot be trusted, or another run
        # holds it too long), nothing has been changed yet. Held while the watcher is stopped, so that it
        # is not stopped in the middle of a reconcile; Update-WslPortProxy -Remove takes it again.
        # -WhatIf changes nothing, so it takes no lock (nor makes its folder).
        $lock = $null
        if (-not $WhatIfPreference) {
            $lock = Enter-Lock -Name 'Reconcile' -Directory $config.InstallDirectory `
                -TimeoutSeconds ($config.WaitForWslSeconds + 300)
            if ($null -eq $lock) {
                $message = 'Another run has been reconciling this server for too long; nothing was changed. Run ' +
                    'this again later.'
                throw (New-Failure -ExitCode 8 -ErrorId 'LockTimeout' -Message $message -Category ResourceBusy)
            }
        }
        try {
            $taskRemoved = Unregister-PortProxyTask
        }
        finally {
            Exit-Lock -Lock $lock
        }
        try {
            $result = Update-WslPortProxy -Settings $config -Remove
        }
        catch {
            $message = "Removing the rules failed: $($_.Exception.Message)"
            throw (New-Failure -ExitCode 5 -ErrorId 'RemoveFailed' -Message $message)
        }
        Remove-InstallDirectory -Path $config.InstallDirectory -Purge:$Purge
        if ($config.MetricsFile -and (Test-Path -LiteralPath $config.MetricsFile -PathType Leaf)) {
            Remove-Item -LiteralPath $config.MetricsFile -Force   # its figures would say the ports are still watched
        }
        if ($Purge) {
            Unregister-EventSource
        }
        return [pscustomobject]@{
            PSTypeName       = 'WslPortProxy.UninstallResult'
            Server           = $config.Server
            InstallDirectory = $config.InstallDirectory
            TaskRemoved      = $taskRemoved
            RulesRemoved     = $result.Removed
            LogsKept         = -not $Purge
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}
