function Install-WslPortProxy {
    <#
    .SYNOPSIS
        Installs (or upgrades) the WSL port proxy on this server from a bundle: files, task, first run.
    .DESCRIPTION
        Run elevated, on the server the bundle was generated for. It
          0. checks every file of the bundle against its manifest.json, then what this server
             needs (Test-WslPortProxy: Windows build, WSL package, each port) and that Group
             Policy's execution policy lets the task's scripts run; a failure installs nothing;
          1. copies the module, Update-WslPortProxy.ps1, Uninstall-WslPortProxy.ps1, the settings
             and README.txt into the install folder, which only Administrators and SYSTEM may
             write (the task runs elevated): every parent folder must be one only
             administrators may change; an existing folder not exactly as the installer leaves
             it is moved aside (its state.json kept); a new one is made locked from the start;
             everything is checked again after copying; then registers the event source;
          2. registers the scheduled task \WslPortProxy\WslPortProxy as the settings' RunAs account
             (the owner of the WSL distribution), or as the installing admin when RunAs is empty;
             a boot task (Start = 'boot') needs that account's password: it is asked for unless
             -Credential or -Password is given, handed to Task Scheduler's COM registration (no
             command is given it as a parameter) and never stored in a file; a running old
             watcher is stopped first, and waited for (up to 30 seconds);
          3. starts the task (Update-WslPortProxy.ps1 -Watch, which keeps running) and waits
             for its first reconcile; when it succeeded, copies the bundle's manifest.json into
             the install folder: what Publish-WslPortProxy and the Ansible playbook compare to
             tell an installed bundle from a newer one. A logon task (Start = 'logon') runs only
             in an interactive session of its account (at the console or over Remote Desktop; a
             WinRM session is none): when that account is not logged on (Win32_LogonSession), or
             Task Scheduler does not start the task within 10 seconds, the installer does not
             wait: it warns that the task starts at the account's next logon, says so in
             FirstRun, records manifest.json and succeeds.
        Running it again upgrades in place: an older installation (also the single-script
        layout of wsl-portproxy 0.1) is replaced, its state kept and its watcher restarted.

        Returns a WslPortProxy.InstallResult (see OUTPUTS). A failure is a terminating error;
        Data['WslPortProxyExitCode'] is the entry script's
        exit code: 2 NotElevated, 3 WrongComputer, 4 FirstRunFailed or FirstRunTimeout,
        5 NoCredential, WrongCredential, WrongPassword, PasswordStorageDisabled or BatchLogonDenied,
        6 BundleChanged, 7 PreflightFailed (a Test-WslPortProxy check failed), 8
        ExecutionPolicyBlocks (Group Policy's AllSigned with unsigned files, or Restricted),
        9 TaskStillRunning (the old watcher did not stop), 10 InvalidSettings, 11
        InstallFolderUnsafe (a parent folder others may change, or the install folder could
        not be made safely or is not safe after copying), 1 unexpected.
    .PARAMETER Settings
        The settings: the path of a WslPortProxy.Settings.psd1 or a table with its keys.
    .PARAMETER BundlePath
        The bundle folder (manifest.json, the module, the scripts, WslPortProxy.xml). Defaults
        to the folder of the settings file.
    .PARAMETER Credential
        The task account's credential, for unattended installs of a boot task.
    .PARAMETER Password
        The task account's password, for unattended installs of a boot task when the account
        is the settings' (Ansible and Publish-WslPortProxy pass it this way).
    .PARAMETER Force
        Installs even when this computer's name is not the settings' Server.
    .EXAMPLE
        Install-WslPortProxy -Settings .\WslPortProxy.Settings.psd1

        Installs from the bundle in the current folder, asking for the task account's password.
    .EXAMPLE
        Install-WslPortProxy -Settings .\WslPortProxy.Settings.psd1 -Credential $credential -WhatIf

        Shows what an unattended install would do, and does nothing.
    .OUTPUTS
        WslPortProxy.InstallResult
              Server            the settings' server name
              InstallDirectory  where the bundle was installed
              Task              the scheduled task's path and name (\WslPortProxy\WslPortProxy)
              Account           the account the task runs as
              FirstRun          the first reconcile's result, or that a logon task starts at its
                                account's next logon
    .LINK
        Test-WslPortProxy
    .LINK
        Uninstall-WslPortProxy
    .LINK
        Publish-WslPortProxy
    .LINK
        about_WslPortProxy
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('WslPortProxy.InstallResult')]
    param(
        [Parameter(Mandatory, Position = 0)] [object] $Settings,
        [string] $BundlePath,
        [System.Management.Automation.PSCredential] $Credential,
        [System.Security.SecureString] $Password,
        [switch] $Force
    )
    $ErrorActionPreference = 'Stop'
    try {
        $config = Import-Settings -Settings $Settings
        $bundle = $BundlePath
        if (-not $bundle) {
            $bundle = $config.Folder
        }
        if (-not $bundle) {
            $message = 'BundlePath is needed when the settings are not given as the path of the bundle''s ' +
                'settings file.'
            throw (New-Failure -ExitCode 1 -ErrorId 'NoBundlePath' -Message $message -Category InvalidArgument)
        }
        if (-not (Test-Elevated)) {
            $message = 'Install-WslPortProxy.ps1 must run elevated: open PowerShell with "Run as administrator" ' +
                'and run it again.'
            throw (New-Failure -ExitCode 2 -ErrorId 'NotElevated' -Message $message -Category PermissionDenied)
        }
        if ($env:COMPUTERNAME -ne $config.Server -and -not $Force) {
            $message = "This bundle is for $($config.Server), but this computer is $env:COMPUTERNAME. Use the bundle " +
                'generated for this computer, or -Force.'
            throw (New-Failure -ExitCode 3 -ErrorId 'WrongComputer' -Message $message -Category InvalidOperation)
        }
        $problems = @(Get-BundleProblem -BundlePath $bundle)
        if ($problems.Count -gt 0) {
            $message = "This bundle does not match its manifest.json ($($problems -join '; ')). Copy it again from " +
                'where it was generated, or generate it again.'
            throw (New-Failure -ExitCode 6 -ErrorId 'BundleChanged' -Message $message -Category InvalidData)
        }
        $preflight = @(Get-PreflightResult -Rule $config.Rules -PodmanMachine:$config.PodmanMachine)
        foreach ($row in $preflight) {
            if ($row.Warning) {
                Write-Warning -Message "$($row.Item): $($row.Warning)"
            }
        }
        $failed = @($preflight | Where-Object -FilterScript { -not $_.Ok })
        if ($failed.Count -gt 0) {
            $problems = $failed | ForEach-Object -Process { "$($_.Item): $($_.Problem)" }
            $message = 'This server cannot forward as the settings say, so nothing was installed. ' +
                ($problems -join ' ')
            throw (New-Failure -ExitCode 7 -ErrorId 'PreflightFailed' -Message $message -Category NotInstalled)
        }
        $policy = @(Get-ExecutionPolicyProblem -BundlePath $bundle)
        if ($policy.Count -gt 0) {
            $message = "$($policy -join ' ') Nothing was installed."
            throw (New-Failure -ExitCode 8 -ErrorId 'ExecutionPolicyBlocks' -Message $message -Category SecurityError)
        }
        $account = Get-TaskAccount -RunAs $config.RunAs
        $taskCredential = $Credential
        if ($null -eq $Credential -and $null -ne $Password) {
            $taskCredential = New-Object -TypeName System.Management.Automation.PSCredential `
                -ArgumentList $account, $Password
        }
        $directory = $config.InstallDirectory
        Copy-BundleFile -BundlePath $bundle -Destination $directory -Account $account
        if (-not $WhatIfPreference) {
            # Its locks\ exists before the first run: Administrators' and SYSTEM's alone (not the task account's).
            $null = Initialize-LockFolder -Directory $directory -ExitCode 11
        }
        Register-EventSource
        $xml = Get-TaskXml -BundlePath $bundle -Account $account
        $xml = ConvertTo-AbsoluteTaskAction -Xml $xml -InstallDirectory $directory
        Register-PortProxyTask -Xml $xml -Account $account -StartAtBoot:($config.Start -eq 'boot') `
            -Credential $taskCredential
        $firstRun = $null
        $logonAccount = ''
        if ($config.Start -eq 'logon') {
            $logonAccount = $account
        }
        $result = Start-FirstRun -Directory $directory -TimeoutSeconds ($config.WaitForWslSeconds + 120) `
            -LogonAccount $logonAccount
        if ($null -ne $result) {
            $log = Join-Path -Path (Join-Path -Path $directory -ChildPath 'logs') -ChildPath 'Update-WslPortProxy.log'
            if (-not $result.Started) {
                $firstRun = "Installed, not run yet: $($result.Message) (at the console or over Remote Desktop), and " +
                    "a logon task runs only in its account's session. The task starts at $account's next logon; " +
                    "its log: $log"
                Write-Warning -Message $firstRun
            }
            elseif ($result.ExitCode -ne 0) {
                $message = "Installed, but the first run of the task failed with code $($result.ExitCode): " +
                    "$($result.Message) (see Update-WslPortProxy.ps1's help and the log $log)."
                throw (New-Failure -ExitCode 4 -ErrorId 'FirstRunFailed' -Message $message)
            }
            else {
                $firstRun = "First reconcile succeeded: $($result.Message) The task keeps watching. Log: $log"
            }
            Save-InstalledManifest -BundlePath $bundle -Directory $directory
        }
        return [pscustomobject]@{
            PSTypeName       = 'WslPortProxy.InstallResult'
            Server           = $config.Server
            InstallDirectory = $directory
            Task             = "$($script:WslppTaskPath)$($script:WslppTaskName)"
            Account          = $account
            FirstRun         = $firstRun
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}
