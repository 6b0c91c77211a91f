# Installing and removing: bundle integrity, the locked install folder, the task, the event source.

function Get-BundleFile {
    <#
    .SYNOPSIS
        The files a bundle must hold, as manifest.json names them ('WslPortProxy/Private/Wsl.ps1').
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $BundlePath)
    $module = Join-Path -Path $BundlePath -ChildPath $script:WslppModuleName
    $manifestPath = Join-Path -Path $module -ChildPath "$($script:WslppModuleName).psd1"
    $manifest = Import-PowerShellDataFile -LiteralPath $manifestPath -ErrorAction Stop
    foreach ($relative in $manifest.FileList) {
        '{0}/{1}' -f $script:WslppModuleName, $relative.Replace('\', '/')
    }
    'Update-WslPortProxy.ps1', 'Install-WslPortProxy.ps1', 'Uninstall-WslPortProxy.ps1'
    $script:WslppSettingsFile, 'WslPortProxy.xml', 'README.txt'
}

function Get-BundleItemPath {
    <#
    .SYNOPSIS
        The full path of a bundle file named as in manifest.json ('a/b/c.ps1').
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $BundlePath,
        [Parameter(Mandatory)] [string] $Name
    )
    $path = $BundlePath
    foreach ($part in $Name.Split('/')) {
        $path = Join-Path -Path $path -ChildPath $part
    }
    return $path
}

function Get-BundleProblem {
    <#
    .SYNOPSIS
        Compares the bundle's files with the SHA-256 sums in its manifest.json; returns what differs.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $BundlePath)
    try {
        $text = Get-Content -LiteralPath (Join-Path -Path $BundlePath -ChildPath 'manifest.json') -Raw -Encoding UTF8 `
            -ErrorAction Stop
        $listed = ($text | ConvertFrom-Json).files
        $required = @(Get-BundleFile -BundlePath $BundlePath)
    }
    catch {
        return "manifest.json or the module manifest cannot be read ($($_.Exception.Message))"
    }
    foreach ($name in @($required | Where-Object -FilterScript { $null -eq $listed.PSObject.Properties[$_] })) {
        "$name is not listed"
    }
    foreach ($entry in $listed.PSObject.Properties) {
        $path = Get-BundleItemPath -BundlePath $BundlePath -Name $entry.Name
        if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
            "$($entry.Name) is missing"
        }
        elseif ((Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash -ne $entry.Value) {
            "$($entry.Name) was changed"
        }
    }
}

function Get-TaskAccount {
    <#
    .SYNOPSIS
        The account the task runs as: RunAs ('.\user' on this computer), else whoever installs.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowNull()] [AllowEmptyString()] [string] $RunAs)
    if (-not $RunAs) {
        return '{0}\{1}' -f $env:USERDOMAIN, $env:USERNAME
    }
    if ($RunAs.StartsWith('.\')) {
        return '{0}\{1}' -f $env:COMPUTERNAME, $RunAs.Substring(2)
    }
    return $RunAs
}

function Get-TaskCredential {
    <#
    .SYNOPSIS
        The account's credential for a boot task: Credential, else asked for (exit 5 if refused).
    .DESCRIPTION
        The password stays inside the PSCredential (a SecureString): it is handed to no command as
        a parameter, so PowerShell's module logging never records it (Register-TaskWithPassword).
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.PSCredential])]
    param(
        [Parameter(Mandatory)] [string] $Account,
        [AllowNull()] [System.Management.Automation.PSCredential] $Credential
    )
    $given = $Credential
    if ($null -eq $given) {
        $given = Get-Credential -UserName $Account `
            -Message "Password of $Account, so that the task can start at boot before anyone logs on"
    }
    if ($null -eq $given) {
        throw (New-Failure -ExitCode 5 -ErrorId 'NoCredential' -Message 'No credential was given.')
    }
    if ($given.UserName -ne $Account) {
        $message = "The credential is for $($given.UserName), but the task runs as $Account."
        throw (New-Failure -ExitCode 5 -ErrorId 'WrongCredential' -Message $message)
    }
    return $given
}

function Register-TaskWithPassword {
    <#
    .SYNOPSIS
        Registers (or replaces) the task with a stored password, through Task Scheduler's COM API.
    .DESCRIPTION
        The password is read from the credential only as the argument of ITaskFolder::RegisterTask
        (TASK_CREATE_OR_UPDATE, TASK_LOGON_PASSWORD): a method call, not a command, so module
        logging (event 4103, about_Logging_Windows), which records every command's parameter values,
        never sees it. Register-ScheduledTask -Password would record it in plain text.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Xml,
        [Parameter(Mandatory)] [System.Management.Automation.PSCredential] $Credential
    )
    $path = $script:WslppTaskPath.TrimEnd('\')
    if (-not $PSCmdlet.ShouldProcess("$path\$($script:WslppTaskName)", 'Register the task with its password')) {
        return
    }
    $service = New-Object -ComObject 'Schedule.Service'
    $service.Connect()
    try {
        $folder = $service.GetFolder($path)
    }
    catch {
        $folder = $service.GetFolder('\').CreateFolder($path.TrimStart('\'))
    }
    # 6 = TASK_CREATE_OR_UPDATE, 1 = TASK_LOGON_PASSWORD
    $null = $folder.RegisterTask($script:WslppTaskName, $Xml, 6, $Credential.UserName,
        $Credential.GetNetworkCredential().Password, 1)
}

function Invoke-Icacls {
    <#
    .SYNOPSIS
        icacls.exe from System32; a non-zero exit is a failure.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param([Parameter(Mandatory)] [string[]] $ArgumentList)
    $result = Invoke-NativeCommand -FilePath (Get-System32Path -Name 'icacls.exe') -ArgumentList $ArgumentList
    if ($result.ExitCode -ne 0) {
        $message = "icacls.exe $($ArgumentList -join ' ') failed (exit $($result.ExitCode)): " +
            "$($result.Output -join ' ')"
        throw (New-Failure -ExitCode 1 -ErrorId 'IcaclsFailed' -Message $message)
    }
}

function Copy-BundleFile {
    <#
    .SYNOPSIS
        Locks the install folder, then copies the module, the entry scripts, the settings and README.txt.
    .DESCRIPTION
        Initialize-InstallDirectory checks the parent folders, moves aside an install folder
        not exactly as the installer leaves it and makes a new one locked from the start, before
        anything is copied; afterwards owner, ACL and links of everything in it are checked
        again (exit 11). The module folder is replaced whole, so no file of an
        older module version stays behind. Every installed file is unblocked (its
        Zone.Identifier mark removed).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $BundlePath,
        [Parameter(Mandatory)] [string] $Destination,
        [Parameter(Mandatory)] [string] $Account
    )
    if (-not $PSCmdlet.ShouldProcess($Destination, 'Install the module, the scripts and the settings')) {
        return
    }
    Initialize-InstallDirectory -Path $Destination -Account $Account
    $module = Join-Path -Path $Destination -ChildPath $script:WslppModuleName
    if (Test-Path -LiteralPath $module) {
        Remove-Item -LiteralPath $module -Recurse -Force
    }
    $names = @(Get-BundleFile -BundlePath $BundlePath | Where-Object -FilterScript {
            $_ -notin @('Install-WslPortProxy.ps1', 'WslPortProxy.xml')
        })
    foreach ($name in $names) {
        $target = Get-BundleItemPath -BundlePath $Destination -Name $name
        $folder = Split-Path -Path $target -Parent
        if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
            New-Item -Path $folder -ItemType Directory -Force | Out-Null
        }
        Copy-Item -LiteralPath (Get-BundleItemPath -BundlePath $BundlePath -Name $name) -Destination $target -Force
        # A bundle copied from a download, a zip or a share carries Zone.Identifier: RemoteSigned
        # would refuse to run the task's scripts.
        Unblock-File -LiteralPath $target
    }
    Assert-InstallDirectory -Path $Destination
}

function Save-InstalledManifest {
    <#
    .SYNOPSIS
        Copies the bundle's manifest.json into the install folder once the bundle works there.
    .DESCRIPTION
        Written last, after a successful first reconcile: a copy means "this exact bundle is
        installed and ran" (or, for a logon task whose account is not logged on, "is installed and
        starts at that account's next logon"); after a failed install the old copy (or none) stays,
        so the next deployment tries again.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $BundlePath,
        [Parameter(Mandatory)] [string] $Directory
    )
    $target = Join-Path -Path $Directory -ChildPath 'manifest.json'
    if ($PSCmdlet.ShouldProcess($target, 'Record the installed bundle')) {
        Copy-Item -LiteralPath (Join-Path -Path $BundlePath -ChildPath 'manifest.json') -Destination $target -Force
    }
}

function Get-TaskXml {
    <#
    .SYNOPSIS
        The bundle's task definition with the task's account in both UserId elements.
    .DESCRIPTION
        The principal's and the logon trigger's UserId carry exactly the account the task is
        registered for (-User): '.\user' from the inventory becomes '<computer>\user', and a
        bundle without run_as gets the installing admin.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $BundlePath,
        [Parameter(Mandatory)] [string] $Account
    )
    $text = Get-Content -LiteralPath (Join-Path -Path $BundlePath -ChildPath 'WslPortProxy.xml') -Raw -Encoding Unicode
    $document = New-Object -TypeName System.Xml.XmlDocument
    $document.LoadXml($text)
    $namespace = $document.DocumentElement.NamespaceURI
    $principal = $document.DocumentElement['Principals']['Principal']
    $logon = $document.DocumentElement['Triggers']['LogonTrigger']
    foreach ($parent in @($principal, $logon)) {
        $userId = $parent['UserId']
        if ($null -eq $userId) {
            $userId = $document.CreateElement('UserId', $namespace)
            $anchor = $parent.FirstChild
            if ($parent -eq $logon) {
                $anchor = $logon['Delay']
            }
            $null = $parent.InsertBefore($userId, $anchor)
        }
        $userId.InnerText = $Account
    }
    return $document.OuterXml
}

function ConvertTo-AbsoluteTaskAction {
    <#
    .SYNOPSIS
        The task definition with absolute paths, resolved now, in its action's Command and Arguments.
    .DESCRIPTION
        Task Scheduler expands %SystemRoot% and %ProgramData% in an action with the environment of the
        task's account, which that account sets itself (HKCU\Environment): the known way to redirect an
        elevated task. Command becomes powershell.exe in System32 (Get-System32Path: SystemRoot from
        HKLM) and the -File argument the Update-WslPortProxy.ps1 of the install folder; any % left fails
        (exit 1).
    .OUTPUTS
        System.String: the task XML.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Xml,
        [Parameter(Mandatory)] [string] $InstallDirectory
    )
    $document = New-Object -TypeName System.Xml.XmlDocument
    $document.LoadXml($Xml)
    $exec = $document.DocumentElement['Actions']['Exec']
    $folder = Join-Path -Path (Get-System32Path -Name 'WindowsPowerShell') -ChildPath 'v1.0'
    $exec['Command'].InnerText = Join-Path -Path $folder -ChildPath 'powershell.exe'
    $script = Join-Path -Path $InstallDirectory -ChildPath 'Update-WslPortProxy.ps1'
    $arguments = $exec['Arguments']
    $arguments.InnerText = [regex]::Replace($arguments.InnerText, '-File "[^"]*"', { param($m) "-File `"$script`"" })
    if ("$($exec['Command'].InnerText) $($arguments.InnerText)" -match '%') {
        $message = "The task's action would still name an environment variable: $($arguments.InnerText)"
        throw (New-Failure -ExitCode 1 -ErrorId 'TaskActionNotAbsolute' -Message $message)
    }
    return $document.OuterXml
}

function Register-EventSource {
    <#
    .SYNOPSIS
        Registers the event source the task writes to (Windows PowerShell 5.1; PowerShell 7 has none).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param()
    if ($null -eq (Get-Command -Name 'New-EventLog' -ErrorAction SilentlyContinue)) {
        Write-Warning -Message ('New-EventLog is not available (PowerShell 7): the task will log to its log file ' +
            'only. Run the installer in Windows PowerShell 5.1 to get events.')
        return
    }
    if ($PSCmdlet.ShouldProcess('Application event log', "Register the event source $($script:WslppEventSource)")) {
        New-EventLog -LogName 'Application' -Source $script:WslppEventSource -ErrorAction SilentlyContinue
    }
}

function Register-PortProxyTask {
    <#
    .SYNOPSIS
        Registers (or replaces) the scheduled task; a running old watcher is stopped first.
    .DESCRIPTION
        A boot task needs the account's password (LogonType Password): it is asked for only when
        the task is really registered (not under -WhatIf) and handed to Task Scheduler's COM
        registration (Register-TaskWithPassword), never to a command, never stored by this tool.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Xml,
        [Parameter(Mandatory)] [string] $Account,
        [switch] $StartAtBoot,
        [AllowNull()] [System.Management.Automation.PSCredential] $Credential
    )
    $task = "$($script:WslppTaskPath)$($script:WslppTaskName)"
    if (-not $PSCmdlet.ShouldProcess($task, "Register the scheduled task running as $Account")) {
        return
    }
    $registration = @{
        TaskName = $script:WslppTaskName; TaskPath = $script:WslppTaskPath; Xml = $Xml; User = $Account; Force = $true
    }
    $taskCredential = $null
    if ($StartAtBoot) {
        $taskCredential = Get-TaskCredential -Account $Account -Credential $Credential
    }
    Stop-PortProxyTask
    try {
        if ($null -eq $taskCredential) {
            Register-ScheduledTask @registration -ErrorAction Stop | Out-Null
        }
        else {
            Register-TaskWithPassword -Xml $Xml -Credential $taskCredential
        }
    }
    catch {
        throw (ConvertTo-RegistrationFailure -ErrorRecord $_ -Account $Account)
    }
    Write-Verbose -Message "Registered task $task (runs as $Account)."
}

function Stop-PortProxyTask {
    <#
    .SYNOPSIS
        Stops the task's running instance (the old watcher) and waits until it no longer runs.
    .DESCRIPTION
        Stop-ScheduledTask returns before the instance has ended; while it still counts as
        Running, MultipleInstancesPolicy IgnoreNew would drop a new start, and an old watcher
        could put back rules an uninstall just removed. Waits up to $script:WslppStopWaitSeconds
        seconds, then fails (exit 9).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param()
    $task = @{ TaskName = $script:WslppTaskName; TaskPath = $script:WslppTaskPath }
    $existing = Get-ScheduledTask @task -ErrorAction SilentlyContinue
    $name = "$($script:WslppTaskPath)$($script:WslppTaskName)"
    if ($null -eq $existing -or "$($existing.State)" -ne 'Running' -or -not $PSCmdlet.ShouldProcess($name, 'Stop')) {
        return
    }
    Stop-ScheduledTask @task
    $deadline = (Get-Date).AddSeconds($script:WslppStopWaitSeconds)
    while ("$((Get-ScheduledTask @task -ErrorAction SilentlyContinue).State)" -eq 'Running') {
        if ((Get-Date) -ge $deadline) {
            $message = "The running task $name did not stop within $($script:WslppStopWaitSeconds) seconds. End it " +
                '(Task Scheduler: End, or stop its powershell.exe), then run this script again.'
            throw (New-Failure -ExitCode 9 -ErrorId 'TaskStillRunning' -Message $message -Category ResourceBusy)
        }
        Start-Sleep -Milliseconds 250
    }
    Write-Verbose -Message "The task $name has stopped."
}

function ConvertTo-RegistrationFailure {
    <#
    .SYNOPSIS
        A failed task registration, explained when Windows refused the stored password (exit 5).
    .DESCRIPTION
        Matched on the HRESULT in the message or in the exception chain. 0x8007052E
        (ERROR_LOGON_FAILURE): the password is wrong. 0x80070520: the policy "Network access: Do
        not allow storage of passwords and credentials for network authentication" is on.
        0x80070569 (ERROR_LOGON_TYPE_NOT_GRANTED): the account lacks "Log on as a batch job".
        Anything else is returned as it is.
    #>
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord,
        [Parameter(Mandatory)] [string] $Account
    )
    $text = "$($ErrorRecord.Exception.Message)"
    $cause = $ErrorRecord.Exception
    while ($null -ne $cause) {
        $text += (' 0x{0:X8}' -f $cause.HResult)   # a COM error's HRESULT, whatever the message's language
        $cause = $cause.InnerException
    }
    if ($text -match '0x8007052E') {
        $message = "Windows refused the password of $Account (0x8007052E: the user name or password is incorrect). " +
            'Run the installer again with the right one.'
        return New-Failure -ExitCode 5 -ErrorId 'WrongPassword' -Message $message -Category AuthenticationError
    }
    if ($text -match '0x80070520') {
        $message = "Windows refused to store the password of $Account (0x80070520): the policy ""Network access: " +
            'Do not allow storage of passwords and credentials for network authentication" is enabled on this ' +
            'server; disable it (Local Security Policy or Group Policy), or generate the bundle with start: logon, ' +
            'which stores no password.'
        return New-Failure -ExitCode 5 -ErrorId 'PasswordStorageDisabled' -Message $message -Category PermissionDenied
    }
    if ($text -match '0x80070569') {
        $message = "$Account may not log on as a batch job (0x80070569): grant it the right ""Log on as a batch " +
            'job" (Local Security Policy > User Rights Assignment, or Group Policy), then run the installer again.'
        return New-Failure -ExitCode 5 -ErrorId 'BatchLogonDenied' -Message $message -Category PermissionDenied
    }
    return $ErrorRecord
}

function Test-InteractiveLogon {
    <#
    .SYNOPSIS
        Whether an account is logged on to this computer interactively: $true, $false, or $null (cannot tell).
    .DESCRIPTION
        A logon task (LogonType InteractiveToken) runs only in an existing interactive session of its
        account (learn.microsoft.com, "TASK_LOGON_TYPE enumeration"). Interactive sessions are the
        Win32_LogonSession instances with LogonType 2 (Interactive), 10 (RemoteInteractive), 11
        (CachedInteractive) or 12 (CachedRemoteInteractive) ("Win32_LogonSession class");
        Win32_LoggedOnUser relates each to its account, a Win32_Account with Domain and Name
        ("Win32_LoggedOnUser class"). A WinRM session (Ansible, Invoke-Command) is a network logon (3).
        $true: a session of DOMAIN\user (names compared without case). $false: no interactive session
        at all, or none of a user of that name. $null: only one of that user name in another domain
        spelling (corp.example\user for CORP\user), an account given as user@domain, or a failed query.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)] [string] $Account)
    $filter = 'LogonType = 2 OR LogonType = 10 OR LogonType = 11 OR LogonType = 12'
    try {
        $sessions = @(Get-CimInstance -ClassName Win32_LogonSession -Filter $filter -ErrorAction Stop |
                ForEach-Object -Process { "$($_.LogonId)" })
        if ($sessions.Count -eq 0) {
            return $false
        }
        $owners = @(Get-CimInstance -ClassName Win32_LoggedOnUser -ErrorAction Stop |
                Where-Object -FilterScript { "$($_.Dependent.LogonId)" -in $sessions } |
                ForEach-Object -Process { $_.Antecedent })
    }
    catch {
        Write-Verbose -Message "Cannot tell whether $Account is logged on: $($_.Exception.Message)"
        return $null
    }
    if (-not $Account.Contains('\')) {
        return $null
    }
    $domain, $user = $Account.Split('\', 2)
    $named = @($owners | Where-Object -FilterScript { "$($_.Name)" -eq $user })
    if ($named.Count -eq 0) {
        return $false
    }
    if (@($named | Where-Object -FilterScript { "$($_.Domain)" -eq $domain }).Count -gt 0) {
        return $true
    }
    return $null
}

function Start-FirstRun {
    <#
    .SYNOPSIS
        Starts the task (a watcher that keeps running) and waits for its first reconcile's result.
    .DESCRIPTION
        Returns Started, ExitCode and Message: the exit code and message from last-run.json; if the
        task ends first, its result. Not finishing within TimeoutSeconds is exit 4.
        A logon task (LogonAccount: its account) runs only in an interactive session of that account;
        without one, Task Scheduler launches nothing and the task stays Ready ("has not yet run"). When
        Test-InteractiveLogon says the account has none, the task is not started; when it cannot tell,
        the task is started, and if Task Scheduler has not started it within StartSeconds, that is the
        answer too: Started is $false, Message says why, and the task starts at the account's next logon.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [Parameter(Mandatory)] [int] $TimeoutSeconds,
        [AllowEmptyString()] [string] $LogonAccount,
        [int] $StartSeconds = $script:WslppLogonStartSeconds
    )
    $task = @{ TaskName = $script:WslppTaskName; TaskPath = $script:WslppTaskPath }
    if (-not $PSCmdlet.ShouldProcess("$($script:WslppTaskPath)$($script:WslppTaskName)", 'Start the task')) {
        return $null
    }
    if ($LogonAccount -and $false -eq (Test-InteractiveLogon -Account $LogonAccount)) {
        $message = "$LogonAccount is not logged on to this server"
        return [pscustomobject]@{ Started = $false; ExitCode = $null; Message = $message }
    }
    $startTicks = (Get-Date).ToUniversalTime().Ticks
    $before = (Get-ScheduledTaskInfo @task).LastRunTime
    Start-ScheduledTask @task
    $begun = -not $LogonAccount
    $startDeadline = (Get-Date).AddSeconds($StartSeconds)
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    $resultPath = Join-Path -Path $Directory -ChildPath 'last-run.json'
    while ((Get-Date) -lt $deadline) {
        Start-Sleep -Milliseconds 500
        $result = $null
        try {
            $result = Get-Content -LiteralPath $resultPath -Raw -Encoding UTF8 -ErrorAction Stop | ConvertFrom-Json
        }
        catch {
            Write-Verbose -Message "No result of the first run yet: $($_.Exception.Message)"
        }
        if ($null -ne $result -and [long] $result.utcTicks -ge $startTicks) {
            return [pscustomobject]@{
                Started = $true; ExitCode = [int] $result.exitCode; Message = "$($result.message)"
            }
        }
        $info = Get-ScheduledTaskInfo @task
        $state = "$((Get-ScheduledTask @task).State)"
        if ($info.LastRunTime -ne $before -and $state -ne 'Running') {
            return [pscustomobject]@{
                Started = $true; ExitCode = [int] $info.LastTaskResult; Message = 'the task ended'
            }
        }
        if (-not $begun) {
            $begun = $state -eq 'Running' -or $info.LastRunTime -ne $before
            if (-not $begun -and (Get-Date) -ge $startDeadline) {
                $message = "Task Scheduler did not start the task within $StartSeconds seconds, so $LogonAccount is " +
                    'probably not logged on to this server'
                return [pscustomobject]@{ Started = $false; ExitCode = $null; Message = $message }
            }
        }
    }
    $message = "Installed, but the task has not finished its first reconcile within $TimeoutSeconds seconds. " +
        'Check its log later.'
    throw (New-Failure -ExitCode 4 -ErrorId 'FirstRunTimeout' -Message $message)
}

function Unregister-PortProxyTask {
    <#
    .SYNOPSIS
        Stops and unregisters the task; returns whether it was registered.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([bool])]
    param()
    $task = @{ TaskName = $script:WslppTaskName; TaskPath = $script:WslppTaskPath }
    if ($null -eq (Get-ScheduledTask @task -ErrorAction SilentlyContinue)) {
        return $false
    }
    if ($PSCmdlet.ShouldProcess("$($script:WslppTaskPath)$($script:WslppTaskName)", 'Unregister the scheduled task')) {
        Stop-PortProxyTask
        Unregister-ScheduledTask @task -Confirm:$false
    }
    return $true
}

function Remove-InstallDirectory {
    <#
    .SYNOPSIS
        Deletes the installed files; keeps logs\ unless Purge.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [switch] $Purge
    )
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) {
        return
    }
    $doomed = @(Get-ChildItem -LiteralPath $Path -Force | Where-Object -FilterScript { $Purge -or $_.Name -ne 'logs' })
    foreach ($item in $doomed) {
        if ($PSCmdlet.ShouldProcess($item.FullName, 'Delete')) {
            Remove-Item -LiteralPath $item.FullName -Recurse -Force
        }
    }
    if ($Purge -and $PSCmdlet.ShouldProcess($Path, 'Delete')) {
        Remove-Item -LiteralPath $Path -Recurse -Force
    }
}

function Unregister-EventSource {
    <#
    .SYNOPSIS
        Removes the event source (its past events then lose their text).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param()
    if ($null -ne (Get-Command -Name 'Remove-EventLog' -ErrorAction SilentlyContinue) -and
        $PSCmdlet.ShouldProcess('Application event log', "Remove the event source $($script:WslppEventSource)")) {
        Remove-EventLog -Source $script:WslppEventSource -ErrorAction SilentlyContinue
    }
}
