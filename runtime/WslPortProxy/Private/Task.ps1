# The scheduled task that runs the watcher elevated: its account and password, its XML (absolute
# paths), registering it, stopping its watcher and removing it.

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
